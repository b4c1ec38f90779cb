// Command enrich is the leadflow enrich Lambda function; it only wires.
package main

import "github.com/leadflow/leadflow/shared/wire"

func main() { wire.RunLambda("enrich") }
