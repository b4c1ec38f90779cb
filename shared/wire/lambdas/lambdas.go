// Package lambdas lists every function and every option, for what runs all
// the functions in one process: the cloud-in-a-box driver. Each deployed
// function's main links only its own options (functions/<name>/main.go); a
// test holds the mains to what their functions need.
package lambdas

import (
	"context"
	"fmt"

	"github.com/leadflow/leadflow/shared/wire"
	"github.com/leadflow/leadflow/shared/wire/httpfn"
	"github.com/leadflow/leadflow/shared/wire/messaging"
	"github.com/leadflow/leadflow/shared/wire/phones"
	"github.com/leadflow/leadflow/shared/wire/providers"
	"github.com/leadflow/leadflow/shared/wire/queues"
	"github.com/leadflow/leadflow/shared/wire/timers"
)

// Functions are every Lambda function of the stack.
var Functions = []wire.Function{
	httpfn.Capture, httpfn.API,
	wire.Enrich, wire.Score, wire.Route, wire.Notify, wire.Nurture, wire.CRMSync,
	wire.Touch, wire.SLA, wire.Sweep,
}

// Options wire every port a function may need.
var Options = []wire.Option{
	timers.Scheduler, messaging.Notifier, messaging.Mailer, queues.Sender,
	providers.Enricher, providers.CRM, phones.E164,
}

// Handler builds the named function's handler from getenv as its Lambda
// does at cold start. Returns an error for an unknown name or a failed
// set-up.
func Handler(ctx context.Context, name string, getenv func(string) string) (any, error) {
	for _, fn := range Functions {
		if fn.Name == name {
			return wire.Build(ctx, fn, getenv, Options...)
		}
	}
	return nil, fmt.Errorf("no function %q", name)
}
