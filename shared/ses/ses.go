// Package ses sends leadflow's email with Amazon SES (API v2): nurture
// emails (the Mailer port) and notifications to reps and managers (the
// Notifier port), from one verified sender address.
package ses

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/internal/awserr"
	"github.com/leadflow/leadflow/shared/internal/awsjson"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// NewClient returns the SES v2 caller the adapters send with, built from
// cfg once at cold start.
func NewClient(cfg aws.Config) awsjson.Caller { return awsjson.New(cfg, awsjson.SESv2) }

var sendEmail = awsjson.Operation{Name: "SendEmail", Path: "/v2/email/outbound-emails"}

// sendEmailInput is SendEmail's request: a simple plain-text message.
type sendEmailInput struct {
	FromEmailAddress string
	Destination      struct{ ToAddresses []string }
	Content          struct {
		Simple struct {
			Subject content
			Body    struct{ Text content }
		}
	}
}

type content struct{ Data, Charset string }

// Mailer sends nurture emails. It is safe for concurrent use.
type Mailer struct {
	client awsjson.Caller
	from   string
}

var _ pipeline.Mailer = (*Mailer)(nil)

// NewMailer returns a Mailer sending from the verified address from (the
// stack passes it in LEADFLOW_SENDER_EMAIL). The client is built once at
// cold start.
func NewMailer(client awsjson.Caller, from string) *Mailer {
	return &Mailer{client: client, from: from}
}

// Send sends e as a plain-text email to e.To. Deduplication by e.Key is the
// caller's: SES has no idempotency key, so a retried Send may deliver twice.
// Returns EINVALID for an email without recipient or one SES refuses for
// good (a malformed or rejected address, an unverified sender),
// EUNAVAILABLE for throttling, a paused account or an unreachable service.
func (m *Mailer) Send(ctx context.Context, e pipeline.Email) error {
	if e.To == "" {
		return lead.Errorf(lead.EINVALID, "send email %s: no recipient", e.Key)
	}
	// The address is PII: errors name the lead, never the recipient.
	return send(ctx, m.client, m.from, e.To, e.Subject, e.Body, "send email to lead "+e.LeadID)
}

// Notifier emails notifications to reps and managers. It is safe for
// concurrent use.
type Notifier struct {
	client  awsjson.Caller
	from    string
	address func(ctx context.Context, id string) (string, error)
}

var _ pipeline.Notifier = (*Notifier)(nil)

// NewNotifier returns a Notifier sending from the verified address from to
// the address that address returns for a rep or manager id (the wiring
// reads it from the routing config).
func NewNotifier(client awsjson.Caller, from string, address func(ctx context.Context, id string) (string, error)) *Notifier {
	return &Notifier{client: client, from: from, address: address}
}

// Notify emails n.Subject and n.Body to the address of n.To. Deduplication
// by n.Key is the caller's. Returns the error of the address lookup
// (wrapped; ENOTFOUND for an unknown person, by its contract), EINVALID for
// an empty address or one SES refuses for good, EUNAVAILABLE for throttling,
// a paused account or an unreachable service.
func (n *Notifier) Notify(ctx context.Context, note pipeline.Notification) error {
	to, err := n.address(ctx, note.To)
	if err != nil {
		return &lead.Error{Code: lead.ErrorCode(err), Message: "notify " + note.To + ": address", Err: err}
	}
	if to == "" {
		return lead.Errorf(lead.EINVALID, "notify %s: no email address", note.To)
	}
	return send(ctx, n.client, n.from, to, note.Subject, note.Body, "notify "+note.To+" of "+note.Kind)
}

func send(ctx context.Context, client awsjson.Caller, from, to, subject, body, op string) error {
	var in sendEmailInput
	in.FromEmailAddress = from
	in.Destination.ToAddresses = []string{to}
	in.Content.Simple.Subject = content{Data: subject, Charset: "UTF-8"}
	in.Content.Simple.Body.Text = content{Data: body, Charset: "UTF-8"}
	return translate(op, client.Call(ctx, sendEmail, in, nil))
}

// translate refines awserr.Translate with SES's permanent refusals and its
// account states that pass once an operator acts. SES's messages quote the
// addresses it refused (a recipient in the sandbox, say): they are
// dropped, so the error, which is logged, carries no PII.
func translate(op string, err error) error {
	var api *awsjson.APIError
	if errors.As(err, &api) {
		redacted := *api
		redacted.Message = ""
		err = &redacted
	}
	switch code := awsjson.Code(err); code {
	case "MessageRejected", "BadRequestException", "InvalidParameterValue", "MailFromDomainNotVerifiedException":
		return &lead.Error{Code: lead.EINVALID, Message: op + ": " + code, Err: err}
	case "SendingPausedException", "AccountSuspendedException":
		return &lead.Error{Code: lead.EUNAVAILABLE, Message: op + ": " + code, Err: err}
	}
	return awserr.Translate(op, err)
}
