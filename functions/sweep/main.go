// Command sweep is the leadflow sweep Lambda function; it only wires.
package main

import "github.com/leadflow/leadflow/shared/wire"

func main() { wire.RunLambda("sweep") }
