// Command route is the leadflow route Lambda function; it only wires:
// the function and the ports it needs beyond the store and the bus.
package main

import (
	"github.com/leadflow/leadflow/shared/wire"
)

func main() { wire.RunLambda(wire.Route) }
