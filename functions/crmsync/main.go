// Command crmsync is the leadflow crmsync Lambda function; it only wires.
package main

import "github.com/leadflow/leadflow/shared/wire"

func main() { wire.RunLambda("crmsync") }
