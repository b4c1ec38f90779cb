// Command capture is the leadflow capture Lambda function; it only wires:
// the function and the ports it needs beyond the store and the bus.
package main

import (
	"github.com/leadflow/leadflow/shared/wire"
	"github.com/leadflow/leadflow/shared/wire/httpfn"
)

func main() { wire.RunLambda(httpfn.Capture) }
