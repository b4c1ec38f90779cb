// Package messaging wires the owner notifications (Slack, SES) and the
// nurture mailer (SES) into a function.
package messaging

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/leadflow/leadflow/shared/awsenv"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/secrets"
	"github.com/leadflow/leadflow/shared/ses"
	"github.com/leadflow/leadflow/shared/slack"
	"github.com/leadflow/leadflow/shared/wire"
)

// Notifier sends notifications to Slack (the webhook URL in the secret the
// environment names, read through the secrets cache at each notification)
// and by SES email (from the configured sender), each when configured.
// Neither deduplicates by itself, so each keeps a record of what it
// delivered in the store (pipeline.NotifyOnce).
var Notifier = wire.Option{Provides: wire.NeedNotifier, Apply: func(_ context.Context, c *wire.Cloud) error {
	notifiers := fanout{}
	if id := c.Getenv(awsenv.SlackSecret); id != "" {
		cache := secrets.NewFromConfig(c.AWS)
		webhook := func(ctx context.Context) (string, error) { return cache.Get(ctx, id) }
		notifiers = append(notifiers, pipeline.NotifyOnce(c.Service.Store, "slack", c.Log, slack.New(webhook, &http.Client{Timeout: 10 * time.Second}, slack.WithRoster(slackRoster(c.Config)))))
	}
	if from := c.Getenv(awsenv.SenderEmail); from != "" {
		notifiers = append(notifiers, pipeline.NotifyOnce(c.Service.Store, "ses-notify", c.Log, ses.NewNotifier(ses.NewClient(c.AWS), from, repEmail(c.Config))))
	}
	c.Service.Notifier = notifiers
	return nil
}}

// Mailer sends nurture emails by SES from the configured sender, each key
// once (pipeline.MailOnce); without a sender, sends fail EUNAVAILABLE.
var Mailer = wire.Option{Provides: wire.NeedMailer, Apply: func(_ context.Context, c *wire.Cloud) error {
	if from := c.Getenv(awsenv.SenderEmail); from != "" {
		c.Service.Mailer = pipeline.MailOnce(c.Service.Store, "ses-mail", c.Log, ses.NewMailer(ses.NewClient(c.AWS), from))
		return nil
	}
	c.Service.Mailer = noMailer{}
	return nil
}}

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

// slackRoster finds a rep's or manager's name and Slack member ID.
func slackRoster(cfg *config.Config) slack.Roster {
	return func(id string) (string, string, bool) {
		if r, ok := cfg.Routing.Rep(id); ok {
			return r.Name, r.Slack, true
		}
		if m, ok := cfg.Routing.Manager(id); ok {
			return m.Name, m.Slack, true
		}
		return "", "", false
	}
}

// fanout sends a notification through every configured channel; it fails
// when any channel fails, and the retry sends again only through the
// channels that have not delivered it.
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
