// Command route is the leadflow route Lambda function; it only wires.
package main

import "github.com/leadflow/leadflow/shared/wire"

func main() { wire.RunLambda("route") }
