package ses_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/internal/awsjson"
	"github.com/leadflow/leadflow/shared/internal/motoserver"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/ses"
)

func TestMain(m *testing.M) { os.Exit(motoserver.Run(m)) }

const sender = "leads@leadflow.example"

// sent is a message as moto records it.
type sent struct {
	Source       string              `json:"source"`
	Subject      string              `json:"subject"`
	Body         string              `json:"body"`
	Destinations map[string][]string `json:"destinations"`
}

// sentTo returns the messages moto recorded for recipient, from its model
// dump.
func sentTo(t *testing.T, recipient string) []sent {
	t.Helper()
	var dump map[string]map[string][]sent
	if err := json.Unmarshal(motoserver.Get(t, "/moto-api/data.json"), &dump); err != nil {
		t.Fatalf("decode moto data: %v", err)
	}
	var out []sent
	for _, m := range dump["ses"]["Message"] {
		if slices.Contains(m.Destinations["ToAddresses"], recipient) {
			out = append(out, m)
		}
	}
	return out
}

// client returns the adapters' SES caller on moto, with the sender verified.
func client(t *testing.T) awsjson.Caller {
	t.Helper()
	cfg := motoserver.Config(t)
	if _, err := sesv2.NewFromConfig(cfg).CreateEmailIdentity(t.Context(), &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(sender)}); err != nil {
		t.Fatalf("verify sender: %v", err)
	}
	return ses.NewClient(cfg)
}

func TestMailer(t *testing.T) {
	m := ses.NewMailer(client(t), sender)
	e := pipeline.Email{Key: "nurture:lead-1:1", LeadID: "lead-1", To: "ada@analytical-engines.example", Subject: "Your pricing questions", Body: "Hi Ada,\nhere is the deck.", At: time.Now()}
	if err := m.Send(t.Context(), e); err != nil {
		t.Fatalf("Send: %v", err)
	}
	want := []sent{{Source: sender, Subject: e.Subject, Body: e.Body, Destinations: map[string][]string{"ToAddresses": {e.To}}}}
	if diff := cmp.Diff(want, sentTo(t, e.To)); diff != "" {
		t.Errorf("messages moto recorded (-want +got):\n%s", diff)
	}

	tests := []struct {
		name   string
		mailer *ses.Mailer
		email  pipeline.Email
		want   string
	}{
		{"no recipient", m, pipeline.Email{Key: "k", LeadID: "lead-2"}, lead.EINVALID},
		{"malformed recipient", m, pipeline.Email{Key: "k", LeadID: "lead-2", To: "not-an-address", Subject: "s", Body: "b"}, lead.EINVALID},
		{"unverified sender", ses.NewMailer(client(t), "someone@elsewhere.example"), pipeline.Email{Key: "k", LeadID: "lead-2", To: "grace@cobolworks.example", Subject: "s", Body: "b"}, lead.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := lead.ErrorCode(tc.mailer.Send(t.Context(), tc.email)); got != tc.want {
				t.Errorf("Send code = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNotifier(t *testing.T) {
	addresses := map[string]string{"rep-ana": "ana@leadflow.example", "mgr-cy": "cy@leadflow.example"}
	n := ses.NewNotifier(client(t), sender, func(_ context.Context, id string) (string, error) {
		a, ok := addresses[id]
		if !ok {
			return "", lead.Errorf(lead.ENOTFOUND, "no person %s", id)
		}
		return a, nil
	})
	note := pipeline.Notification{Key: "lead-1:owner_assigned", Kind: pipeline.NotifyOwnerAssigned, To: "rep-ana", LeadID: "lead-1", Subject: "New lead: VP Sales at Cobol Works", Body: "Score 91. Contact within 4 hours."}
	if err := n.Notify(t.Context(), note); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	want := []sent{{Source: sender, Subject: note.Subject, Body: note.Body, Destinations: map[string][]string{"ToAddresses": {"ana@leadflow.example"}}}}
	if diff := cmp.Diff(want, sentTo(t, "ana@leadflow.example")); diff != "" {
		t.Errorf("messages moto recorded (-want +got):\n%s", diff)
	}
	unknown := note
	unknown.To = "rep-nobody"
	if got := lead.ErrorCode(n.Notify(t.Context(), unknown)); got != lead.ENOTFOUND {
		t.Errorf("Notify(unknown rep) code = %q, want %q", got, lead.ENOTFOUND)
	}
}

// refusing answers every call with SES's sandbox refusal, which quotes the
// address it refused.
type refusing struct{ to string }

func (r refusing) Call(context.Context, awsjson.Operation, any, any) error {
	return &awsjson.APIError{Code: "MessageRejected", Status: 400, RequestID: "req-1",
		Message: "Email address is not verified. The following identities failed the check in region EU-WEST-1: " + r.to}
}

func TestErrorsCarryNoAddress(t *testing.T) {
	const to = "ada@analytical-engines.example"
	err := ses.NewMailer(refusing{to}, sender).Send(t.Context(), pipeline.Email{Key: "k", LeadID: "lead-1", To: to, Subject: "s", Body: "b"})
	if lead.ErrorCode(err) != lead.EINVALID || awsjson.Code(err) != "MessageRejected" {
		t.Fatalf("Send = %v, want EINVALID keeping the answer's code", err)
	}
	if strings.Contains(err.Error(), to) {
		t.Errorf("Send error %q quotes the recipient; errors are logged", err)
	}
}
