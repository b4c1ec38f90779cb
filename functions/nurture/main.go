// Command nurture is the leadflow nurture Lambda function; it only wires.
package main

import "github.com/leadflow/leadflow/shared/wire"

func main() { wire.RunLambda("nurture") }
