// Command sla is the leadflow sla Lambda function; it only wires.
package main

import "github.com/leadflow/leadflow/shared/wire"

func main() { wire.RunLambda("sla") }
