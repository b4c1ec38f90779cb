// Command crmsync is the leadflow crmsync Lambda function; it only wires:
// the function and the ports it needs beyond the store and the bus.
package main

import (
	"github.com/leadflow/leadflow/shared/wire"
	"github.com/leadflow/leadflow/shared/wire/providers"
)

func main() { wire.RunLambda(wire.CRMSync, providers.CRM) }
