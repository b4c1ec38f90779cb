// Command sweep is the leadflow sweep Lambda function; it only wires:
// the function and the ports it needs beyond the store and the bus.
package main

import (
	"github.com/leadflow/leadflow/shared/wire"
	"github.com/leadflow/leadflow/shared/wire/queues"
)

func main() { wire.RunLambda(wire.Sweep, queues.Sender) }
