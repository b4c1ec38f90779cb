package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadflow/leadflow/shared/awsclient"
	"github.com/leadflow/leadflow/shared/awsenv"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/dynamo"
	"github.com/leadflow/leadflow/shared/eventbridge"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/metrics"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/secrets"
	"github.com/leadflow/leadflow/shared/ses"
	"github.com/leadflow/leadflow/shared/sfn"
	"github.com/leadflow/leadflow/shared/slack"
	"github.com/leadflow/leadflow/shared/sqs"
)

// wallClock is the production clock.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// Cloud is the pipeline wired to AWS, built once per cold start.
type Cloud struct {
	Config  *config.Config
	Service *pipeline.Service
	Secrets *secrets.Cache
	Log     *slog.Logger
}

// WebhookKeys is the JSON held in the webhook secret: the HMAC secret of
// signed webhooks, accepted API keys and the LinkedIn app secret.
type WebhookKeys struct {
	HMACSecret     string   `json:"hmac_secret"`
	APIKeys        []string `json:"api_keys"`
	LinkedInSecret string   `json:"linkedin_secret"`
}

// NewCloud loads the config shipped beside the binary and builds every AWS
// adapter from the environment. Returns the config's errors (file, line,
// rule) or EUNAVAILABLE when AWS settings are missing.
func NewCloud(ctx context.Context, getenv func(string) string) (*Cloud, error) {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	path := getenv(awsenv.Config)
	if path == "" {
		path = "leadflow.yaml"
	}
	if !filepath.IsAbs(path) && getenv("LAMBDA_TASK_ROOT") != "" {
		path = filepath.Join(getenv("LAMBDA_TASK_ROOT"), path)
	}
	cfg, err := config.Load(path)
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
	machines := map[string]string{}
	if arn := getenv(awsenv.SLAMachine); arn != "" {
		machines[pipeline.TimerSLA] = arn
	}
	if arn := getenv(awsenv.NurtureMachine); arn != "" {
		machines[pipeline.TimerNurture] = arn
	}
	sec := secrets.New(secretsmanager.NewFromConfig(awsCfg), 5*time.Minute, time.Now)
	clock := wallClock{}
	svc := &pipeline.Service{
		Rules:     Rules(cfg),
		Store:     dynamo.New(dynamodb.NewFromConfig(awsCfg), table),
		Publisher: eventbridge.New(awseb.NewFromConfig(awsCfg), getenv(awsenv.Bus)),
		Sender:    sqs.New(awssqs.NewFromConfig(awsCfg), sqs.QueueURLs(getenv)),
		Scheduler: sfn.New(awssfn.NewFromConfig(awsCfg), machines),
		Clock:     clock,
		IDs:       NewIDs(clock),
		Log:       log,
		Metrics:   &metrics.EMF{W: os.Stdout},
	}
	if svc.Enricher, err = Enricher(cfg, clock, svc.Metrics, log, sec.Get); err != nil {
		return nil, err
	}
	if svc.CRM, err = CRM(cfg, clock, log, getenv, sec.Get); err != nil {
		return nil, err
	}
	notifiers := fanout{}
	if id := getenv(awsenv.SlackSecret); id != "" {
		url, err := sec.Get(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("slack webhook secret: %w", err)
		}
		notifiers = append(notifiers, slack.New(url, &http.Client{Timeout: 10 * time.Second}))
	}
	if from := getenv(awsenv.SenderEmail); from != "" {
		client := sesv2.NewFromConfig(awsCfg)
		svc.Mailer = ses.NewMailer(client, from)
		notifiers = append(notifiers, ses.NewNotifier(client, from, repEmail(cfg)))
	}
	svc.Notifier = notifiers
	if svc.Mailer == nil {
		svc.Mailer = noMailer{}
	}
	return &Cloud{Config: cfg, Service: svc, Secrets: sec, Log: log}, nil
}

// repEmail resolves a rep or manager id to an address from the roster.
func repEmail(cfg *config.Config) func(ctx context.Context, id string) (string, error) {
	return func(_ context.Context, id string) (string, error) {
		if r, ok := cfg.Routing.Rep(id); ok && r.Email != "" {
			return r.Email, nil
		}
		if m, ok := cfg.Routing.Manager(id); ok && m.Email != "" {
			return m.Email, nil
		}
		return "", lead.Errorf(lead.ENOTFOUND, "no email address for %q", id)
	}
}

// API returns the HTTP handler for the routes of one access level group:
// public reports whether it serves the public and signed routes (the capture
// function) or the internal ones (the api function).
func (c *Cloud) API(ctx context.Context, getenv func(string) string, public bool) (*httpapi.API, error) {
	api := &httpapi.API{
		Service: c.Service,
		Log:     c.Log,
		Serve: func(r httpapi.Route) bool {
			return (r.Access != httpapi.Internal) == public
		},
	}
	if id := getenv(awsenv.WebhookSecret); id != "" && public {
		raw, err := c.Secrets.Get(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("webhook secret: %w", err)
		}
		var keys WebhookKeys
		if err := json.Unmarshal([]byte(raw), &keys); err != nil {
			return nil, fmt.Errorf("webhook secret is not the expected JSON: %w", err)
		}
		api.Signer = &httpapi.Signer{Secret: []byte(keys.HMACSecret), APIKeys: keys.APIKeys, Clock: c.Service.Clock, Seen: c.Service.Store}
		api.LinkedInSecret = keys.LinkedInSecret
	}
	return api, nil
}

// fanout sends a notification through every configured channel; it fails
// when any channel fails (the queue retries, so a channel may repeat a
// message: in AWS notifications are at-least-once).
type fanout []pipeline.Notifier

func (f fanout) Notify(ctx context.Context, n pipeline.Notification) error {
	var errs []error
	for _, x := range f {
		if err := x.Notify(ctx, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// noMailer refuses nurture emails when no sender address is configured.
type noMailer struct{}

func (noMailer) Send(context.Context, pipeline.Email) error {
	return lead.Errorf(lead.EUNAVAILABLE, "no sender email configured (%s)", awsenv.SenderEmail)
}
