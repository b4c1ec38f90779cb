// Command api is the leadflow api Lambda function; it only wires:
// the function and the ports it needs beyond the store and the bus.
package main

import (
	"github.com/leadflow/leadflow/shared/wire"
	"github.com/leadflow/leadflow/shared/wire/httpfn"
	"github.com/leadflow/leadflow/shared/wire/timers"
)

func main() { wire.RunLambda(httpfn.API, timers.Scheduler) }
