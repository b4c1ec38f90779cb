package wire

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/awsclient"
	"github.com/leadflow/leadflow/shared/awsenv"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/dynamo"
	"github.com/leadflow/leadflow/shared/eventbridge"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/metrics"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// wallClock is the production clock.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// Cloud is the pipeline wired to AWS, built once per cold start. NewCloud
// wires the store and the bus every function uses; a function's Options
// wire the other ports it needs, so its binary links only their clients.
type Cloud struct {
	Config  *config.Config
	AWS     aws.Config
	Service *pipeline.Service
	Log     *slog.Logger
	Getenv  func(string) string
}

// CompiledConfigFile is the name, beside the config file, of its compiled
// form (configfile.Compile, run by cdk synth): functions load it instead of
// linking a YAML parser and the CEL checker.
const CompiledConfigFile = "leadflow.compiled.json"

// NewCloud loads the compiled config shipped beside the binary and wires
// the DynamoDB store and the EventBridge publisher from the environment;
// every other port answers EUNAVAILABLE until an Option wires it. Returns
// EUNAVAILABLE when AWS settings or the compiled config are missing, or the
// config's errors if the compiled form does not build.
func NewCloud(ctx context.Context, getenv func(string) string) (*Cloud, error) {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	path := getenv(awsenv.Config)
	if path == "" {
		path = "leadflow.yaml"
	}
	if !filepath.IsAbs(path) && getenv("LAMBDA_TASK_ROOT") != "" {
		path = filepath.Join(getenv("LAMBDA_TASK_ROOT"), path)
	}
	cfg, err := config.LoadCompiled(filepath.Join(filepath.Dir(path), CompiledConfigFile))
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsclient.Load(ctx, getenv)
	if err != nil {
		return nil, err
	}
	table := getenv(awsenv.Table)
	if table == "" {
		return nil, lead.Errorf(lead.EUNAVAILABLE, "%s is not set", awsenv.Table)
	}
	clock := wallClock{}
	svc := &pipeline.Service{
		Rules:     Rules(cfg),
		Store:     dynamo.New(dynamodb.NewFromConfig(awsCfg), table),
		Publisher: eventbridge.New(awseb.NewFromConfig(awsCfg), getenv(awsenv.Bus)),
		Scheduler: unwired{"Scheduler"},
		Notifier:  unwired{"Notifier"},
		Mailer:    unwired{"Mailer"},
		Sender:    unwiredSender{unwired{"Sender"}},
		Clock:     clock,
		IDs:       NewIDs(clock),
		Log:       log,
		Metrics:   &metrics.EMF{W: os.Stdout},
	}
	return &Cloud{Config: cfg, AWS: awsCfg, Service: svc, Log: log, Getenv: getenv}, nil
}

// unwired stands in for a port the function did not wire: a call is a
// wiring bug, reported as EUNAVAILABLE (the queue retries, then
// dead-letters) rather than a nil-pointer panic.
type unwired struct{ port string }

func (u unwired) err() error {
	return lead.Errorf(lead.EUNAVAILABLE, "this function has no %s wired", u.port)
}

func (u unwired) Schedule(context.Context, pipeline.Timer) error { return u.err() }
func (u unwired) Cancel(context.Context, string) error           { return u.err() }
func (u unwired) Notify(context.Context, pipeline.Notification) error {
	return u.err()
}
func (u unwired) Send(context.Context, pipeline.Email) error { return u.err() }

// unwiredSender is unwired for the Sender port, whose Send differs from
// the Mailer's.
type unwiredSender struct{ unwired }

func (u unwiredSender) Send(context.Context, events.Consumer, ...events.Envelope) error {
	return u.err()
}

// Need names a port a function uses beyond the store and the bus.
type Need uint16

// Ports an Option can wire.
const (
	NeedScheduler Need = 1 << iota
	NeedNotifier
	NeedMailer
	NeedSender
	NeedEnricher
	NeedCRM
	NeedPhones
)

var needNames = []string{"Scheduler", "Notifier", "Mailer", "Sender", "Enricher", "CRM", "Phones"}

func (n Need) String() string {
	var names []string
	for i, name := range needNames {
		if n&(1<<i) != 0 {
			names = append(names, name)
		}
	}
	return fmt.Sprint(names)
}

// Option wires the ports it Provides into a Cloud.
type Option struct {
	Provides Need
	Apply    func(ctx context.Context, c *Cloud) error
}

// Function is one Lambda function: its name (functions/<Name>), the ports
// its handler uses beyond the store and the bus, and how the handler is
// built once the Cloud is wired.
type Function struct {
	Name    string
	Needs   Need
	Handler func(ctx context.Context, c *Cloud) (any, error)
}

// Build wires a Cloud from the environment, applies opts and builds fn's
// typed handler. Returns an error naming the ports fn needs that no option
// wires, or the first failing set-up step.
func Build(ctx context.Context, fn Function, getenv func(string) string, opts ...Option) (any, error) {
	var have Need
	for _, o := range opts {
		have |= o.Provides
	}
	if missing := fn.Needs &^ have; missing != 0 {
		return nil, fmt.Errorf("function %s: no option wires %s", fn.Name, missing)
	}
	c, err := NewCloud(ctx, getenv)
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		if o.Provides&fn.Needs == 0 {
			continue // an option the function does not use builds no client
		}
		if err := o.Apply(ctx, c); err != nil {
			return nil, fmt.Errorf("function %s: %w", fn.Name, err)
		}
	}
	return fn.Handler(ctx, c)
}
