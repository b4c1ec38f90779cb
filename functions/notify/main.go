// Command notify is the leadflow notify Lambda function; it only wires:
// the function and the ports it needs beyond the store and the bus.
package main

import (
	"github.com/leadflow/leadflow/shared/wire"
	"github.com/leadflow/leadflow/shared/wire/messaging"
	"github.com/leadflow/leadflow/shared/wire/timers"
)

func main() { wire.RunLambda(wire.Notify, messaging.Notifier, timers.Scheduler) }
