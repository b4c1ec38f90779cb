package stack

import (
	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/httpapi"
)

// Trigger says what invokes a function.
type Trigger int

// Triggers of leadflow's functions.
const (
	// TriggerPublicAPI: HTTP API routes without IAM auth (forms, webhooks).
	TriggerPublicAPI Trigger = iota
	// TriggerInternalAPI: HTTP API routes behind the IAM authorizer.
	TriggerInternalAPI
	// TriggerQueue: the consumer's SQS queue, fed by its bus rule.
	TriggerQueue
	// TriggerNurtureTimer: the nurture state machine's Task state.
	TriggerNurtureTimer
	// TriggerSLATimer: the SLA state machine's Task state.
	TriggerSLATimer
	// TriggerDaily: the daily EventBridge Scheduler schedule.
	TriggerDaily
)

// Access is the set of permissions a function is granted, besides writing
// its own logs and traces. Each bit maps to one Grant* call in the stack.
type Access uint

// Access bits.
const (
	// AccessTable: read and write items of the table (no table management).
	AccessTable Access = 1 << iota
	// AccessPublish: events:PutEvents on the bus.
	AccessPublish
	// AccessSendEnrich: sqs:SendMessage to the enrich queue (re-enrichment
	// requests of the sweep and of nurture starts bypass the bus).
	AccessSendEnrich
	// AccessNurtureTimers: start and stop nurture state machine executions.
	AccessNurtureTimers
	// AccessSLATimers: start and stop SLA state machine executions.
	AccessSLATimers
	// AccessEmail: ses:SendEmail from the sender identity.
	AccessEmail
	// AccessSlackSecret: read the Slack webhook secret (when Slack is on).
	AccessSlackSecret
	// AccessProviderSecrets: read the secrets that the config's enrichment
	// providers name.
	AccessProviderSecrets
	// AccessWebhookSecret: read the keys of the signed public routes.
	AccessWebhookSecret
)

// Route is one HTTP API route served by a function.
type Route struct {
	Method string
	Path   string
}

// Function declares one Lambda function: its source is functions/<Name>.
type Function struct {
	Name    string
	Trigger Trigger
	Routes  []Route // TriggerPublicAPI and TriggerInternalAPI only
	Access  Access
}

// Function timeouts in seconds. A queue's visibility timeout is six times
// its consumer's timeout, as AWS advises for SQS event sources.
const (
	apiTimeoutSeconds      = 10
	consumerTimeoutSeconds = 30
	timerTimeoutSeconds    = 30
	sweepTimeoutSeconds    = 300
)

// Function writes to the lead almost always carry its outbox of events, so
// writers publish too.
const writer = AccessTable | AccessPublish

// consumerAccess grants each consumer of events.Routes what its handler
// needs. A consumer missing here gets no data access at all, which the tests
// refuse.
var consumerAccess = map[events.Consumer]Access{
	events.ConsumerEnrich: writer | AccessProviderSecrets,
	events.ConsumerScore:  writer,
	events.ConsumerRoute:  writer,
	// Telling the owner starts the owner's SLA timer.
	events.ConsumerNotify: writer | AccessEmail | AccessSlackSecret | AccessSLATimers,
	// A nurture start asks for re-enrichment straight on the enrich queue.
	events.ConsumerNurture: writer | AccessNurtureTimers | AccessSendEnrich,
	events.ConsumerCRMSync: writer,
}

// Functions returns the one declaration of leadflow's functions: the HTTP
// handlers, one consumer per events.Routes entry (named after it), the two
// timer tasks and the daily sweep. The builder compiles exactly these and
// the stack wires exactly these.
func Functions() []Function {
	fns := []Function{
		{Name: "capture", Trigger: TriggerPublicAPI, Access: writer | AccessWebhookSecret, Routes: httpRoutes(false)},
		// Contacted and erasure stop the SLA timer.
		{Name: "api", Trigger: TriggerInternalAPI, Access: writer | AccessSLATimers, Routes: httpRoutes(true)},
	}
	for _, r := range events.Routes {
		fns = append(fns, Function{Name: string(r.Consumer), Trigger: TriggerQueue, Access: consumerAccess[r.Consumer]})
	}
	return append(fns,
		// A touch is an email to the lead or a task notification to a rep.
		Function{Name: "touch", Trigger: TriggerNurtureTimer, Access: writer | AccessEmail | AccessSlackSecret},
		Function{Name: "sla", Trigger: TriggerSLATimer, Access: writer | AccessEmail | AccessSlackSecret},
		Function{Name: "sweep", Trigger: TriggerDaily, Access: AccessTable | AccessSendEnrich},
	)
}

// httpRoutes returns the routes of httpapi.Routes, the one route table,
// that the internal API serves (internal) or capture serves (public and
// signed), split as wire.Cloud.API splits them.
func httpRoutes(internal bool) []Route {
	var out []Route
	for _, r := range httpapi.Routes {
		if (r.Access == httpapi.Internal) == internal {
			out = append(out, Route{Method: r.Method, Path: r.Pattern})
		}
	}
	return out
}

// FunctionNames returns the names of Functions, in order.
func FunctionNames() []string {
	fns := Functions()
	names := make([]string, len(fns))
	for i, f := range fns {
		names[i] = f.Name
	}
	return names
}

func (f Function) timeoutSeconds() float64 {
	switch f.Trigger {
	case TriggerPublicAPI, TriggerInternalAPI:
		return apiTimeoutSeconds
	case TriggerQueue:
		return consumerTimeoutSeconds
	case TriggerDaily:
		return sweepTimeoutSeconds
	default:
		return timerTimeoutSeconds
	}
}
