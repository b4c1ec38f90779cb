// Command touch is the leadflow touch Lambda function; it only wires.
package main

import "github.com/leadflow/leadflow/shared/wire"

func main() { wire.RunLambda("touch") }
