// Command sla is the leadflow sla Lambda function; it only wires:
// the function and the ports it needs beyond the store and the bus.
package main

import (
	"github.com/leadflow/leadflow/shared/wire"
	"github.com/leadflow/leadflow/shared/wire/messaging"
)

func main() { wire.RunLambda(wire.SLA, messaging.Notifier) }
