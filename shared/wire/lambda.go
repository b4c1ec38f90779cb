package wire

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/handlers"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// Function names that are not queue consumers (those are named after their
// events.Consumer).
const (
	FunctionCapture = "capture" // public and signed HTTP routes
	FunctionAPI     = "api"     // internal HTTP routes
	FunctionTouch   = "touch"   // the nurture state machine's task
	FunctionSLA     = "sla"     // the SLA state machine's task
	FunctionSweep   = "sweep"   // the daily inactivity sweep
)

// LambdaHandler builds, once at cold start, the typed handler of the named
// function. Returns an error for an unknown name or a failed set-up.
func LambdaHandler(ctx context.Context, name string, getenv func(string) string) (any, error) {
	cloud, err := NewCloud(ctx, getenv)
	if err != nil {
		return nil, err
	}
	set := Handlers(cloud.Service, cloud.Log)
	switch name {
	case FunctionCapture, FunctionAPI:
		api, err := cloud.API(ctx, getenv, name == FunctionCapture)
		if err != nil {
			return nil, err
		}
		return api.Handle, nil
	case FunctionTouch, FunctionSLA:
		kind := map[string]string{FunctionTouch: pipeline.TimerNurture, FunctionSLA: pipeline.TimerSLA}[name]
		h, ok := set.Timers()[kind]
		if !ok {
			return nil, fmt.Errorf("no timer task for %s", kind)
		}
		return h, nil
	case FunctionSweep:
		return func(ctx context.Context) (map[string]int, error) {
			n, err := cloud.Service.Sweep(ctx)
			return map[string]int{"requested": n}, err
		}, nil
	}
	h, err := set.Consumer(events.Consumer(name))
	if err != nil {
		return nil, fmt.Errorf("function %q: %w", name, err)
	}
	return handlers.SQSHandler(h), nil
}

// RunLambda is the whole main of a function: build its handler from the
// environment and hand it to the Lambda runtime. A failed set-up exits, so
// Lambda reports the init error.
func RunLambda(name string) {
	h, err := LambdaHandler(context.Background(), name, os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, `{"level":"ERROR","msg":"init failed","function":%q,"err":%q}`+"\n", name, err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
