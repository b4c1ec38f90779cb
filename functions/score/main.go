// Command score is the leadflow score Lambda function; it only wires:
// the function and the ports it needs beyond the store and the bus.
package main

import (
	"github.com/leadflow/leadflow/shared/wire"
)

func main() { wire.RunLambda(wire.Score) }
