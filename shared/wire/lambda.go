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

// The queue consumers, the state machines' tasks and the sweep. The HTTP
// functions are in package httpfn, so only they link the HTTP API.
var (
	Enrich  = consumer(events.ConsumerEnrich, NeedEnricher|NeedPhones)
	Score   = consumer(events.ConsumerScore, 0)
	Route   = consumer(events.ConsumerRoute, 0)
	Notify  = consumer(events.ConsumerNotify, NeedNotifier|NeedScheduler) // starts the SLA timer
	Nurture = consumer(events.ConsumerNurture, NeedScheduler|NeedSender)
	CRMSync = consumer(events.ConsumerCRMSync, NeedCRM)
	Touch   = timer("touch", pipeline.TimerNurture, NeedMailer|NeedNotifier)
	SLA     = timer("sla", pipeline.TimerSLA, NeedNotifier)
	Sweep   = Function{Name: "sweep", Needs: NeedSender, Handler: func(_ context.Context, c *Cloud) (any, error) {
		return func(ctx context.Context) (map[string]int, error) {
			n, err := c.Service.Sweep(ctx)
			return map[string]int{"requested": n}, err
		}, nil
	}}
)

// consumer is the function of a queue consumer: an SQS handler reporting
// batch item failures.
func consumer(c events.Consumer, needs Need) Function {
	return Function{Name: string(c), Needs: needs, Handler: func(_ context.Context, cl *Cloud) (any, error) {
		h, err := Handlers(cl.Service, cl.Log).Consumer(c)
		if err != nil {
			return nil, fmt.Errorf("function %q: %w", c, err)
		}
		return handlers.SQSHandler(h), nil
	}}
}

// timer is the function a state machine's Task invokes for a timer kind.
func timer(name, kind string, needs Need) Function {
	return Function{Name: name, Needs: needs, Handler: func(_ context.Context, cl *Cloud) (any, error) {
		h, ok := Handlers(cl.Service, cl.Log).Timers()[kind]
		if !ok {
			return nil, fmt.Errorf("no timer task for %s", kind)
		}
		return h, nil
	}}
}

// RunLambda is the whole main of a function: wire it from the environment
// with opts and hand its handler to the Lambda runtime. A failed set-up
// exits, so Lambda reports the init error.
func RunLambda(fn Function, opts ...Option) {
	h, err := Build(context.Background(), fn, os.Getenv, opts...)
	if err != nil {
		fmt.Fprintf(os.Stderr, `{"level":"ERROR","msg":"init failed","function":%q,"err":%q}`+"\n", fn.Name, err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
