package wire

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/handlers"
)

// The queue consumers, the state machines' tasks and the sweep. The HTTP
// functions are in package httpfn, so only they link the HTTP API. Each is a
// constant literal whose handler names its own stage: a function's binary
// then links its stage and no other (a value built by a call at package
// init would pull every function's code into every binary).
var (
	Enrich = Function{Name: string(events.ConsumerEnrich), Needs: NeedEnricher | NeedPhones, Handler: func(_ context.Context, c *Cloud) (any, error) {
		return handlers.SQSHandler(c.handlers().Enrich()), nil
	}}
	Score = Function{Name: string(events.ConsumerScore), Handler: func(_ context.Context, c *Cloud) (any, error) {
		return handlers.SQSHandler(c.handlers().Score()), nil
	}}
	Route = Function{Name: string(events.ConsumerRoute), Handler: func(_ context.Context, c *Cloud) (any, error) {
		return handlers.SQSHandler(c.handlers().Route()), nil
	}}
	// Notify also starts the SLA timer.
	Notify = Function{Name: string(events.ConsumerNotify), Needs: NeedNotifier | NeedScheduler, Handler: func(_ context.Context, c *Cloud) (any, error) {
		return handlers.SQSHandler(c.handlers().Notify()), nil
	}}
	Nurture = Function{Name: string(events.ConsumerNurture), Needs: NeedScheduler | NeedSender, Handler: func(_ context.Context, c *Cloud) (any, error) {
		return handlers.SQSHandler(c.handlers().Nurture()), nil
	}}
	CRMSync = Function{Name: string(events.ConsumerCRMSync), Needs: NeedCRM, Handler: func(_ context.Context, c *Cloud) (any, error) {
		return handlers.SQSHandler(c.handlers().CRMSync()), nil
	}}
	// Touch and SLA are the tasks the nurture and SLA state machines invoke.
	Touch = Function{Name: "touch", Needs: NeedMailer | NeedNotifier, Handler: func(_ context.Context, c *Cloud) (any, error) {
		return handlers.TimerHandler(c.Service.NurtureTouch), nil
	}}
	SLA = Function{Name: "sla", Needs: NeedNotifier, Handler: func(_ context.Context, c *Cloud) (any, error) {
		return handlers.TimerHandler(c.Service.CheckSLA), nil
	}}
	Sweep = Function{Name: "sweep", Needs: NeedSender, Handler: func(_ context.Context, c *Cloud) (any, error) {
		return func(ctx context.Context) (map[string]int, error) {
			n, err := c.Service.Sweep(ctx)
			return map[string]int{"requested": n}, err
		}, nil
	}}
)

func (c *Cloud) handlers() *handlers.Set { return Handlers(c.Service, c.Log) }

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
