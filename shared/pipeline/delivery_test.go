package pipeline_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/embedded"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// channel records what it delivered and fails while failing is set.
type channel struct {
	sent    []string
	failing bool
}

func (c *channel) deliver(what string) error {
	if c.failing {
		return lead.Errorf(lead.EUNAVAILABLE, "channel down")
	}
	c.sent = append(c.sent, what)
	return nil
}

func (c *channel) Notify(_ context.Context, n pipeline.Notification) error {
	return c.deliver(n.Kind + " " + n.Key)
}

func (c *channel) Send(_ context.Context, e pipeline.Email) error { return c.deliver("email " + e.Key) }

func openStore(t *testing.T) *embedded.Store {
	t.Helper()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "leadflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var quietLog = slog.New(slog.DiscardHandler)

func TestNotifyOnce(t *testing.T) {
	assigned := pipeline.Notification{Key: "assigned:lead-1:rep-ana", Kind: pipeline.NotifyOwnerAssigned, To: "rep-ana", LeadID: "lead-1"}
	warning := assigned
	warning.Kind = pipeline.NotifySLAWarning
	other := pipeline.Notification{Key: "queued:lead-1", Kind: pipeline.NotifyManagerAlert, To: "m-east", LeadID: "lead-1"}
	unkeyed := pipeline.Notification{Kind: pipeline.NotifyTask, To: "rep-ana", LeadID: "lead-1"}
	unaddressed := pipeline.Notification{Key: "task:lead-1", Kind: pipeline.NotifyTask, LeadID: "lead-1"}
	type step struct {
		n       pipeline.Notification
		failing bool
		code    string
	}
	down := lead.EUNAVAILABLE
	tests := []struct {
		name  string
		steps []step
		want  []string
	}{
		{"a redelivery sends nothing twice", []step{{n: assigned}, {n: assigned}}, []string{"owner_assigned assigned:lead-1:rep-ana"}},
		{"the key alone deduplicates", []step{{n: assigned}, {n: warning}, {n: other}},
			[]string{"owner_assigned assigned:lead-1:rep-ana", "manager_alert queued:lead-1"}},
		{"a failed delivery is retried", []step{{n: assigned, failing: true, code: down}, {n: assigned}, {n: assigned}}, []string{"owner_assigned assigned:lead-1:rep-ana"}},
		{"a message without a key or recipient is refused", []step{{n: unkeyed, code: lead.EINVALID}, {n: unaddressed, code: lead.EINVALID}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch := &channel{}
			n := pipeline.NotifyOnce(openStore(t), "slack", quietLog, ch)
			for i, s := range tc.steps {
				ch.failing = s.failing
				if err := n.Notify(t.Context(), s.n); lead.ErrorCode(err) != s.code {
					t.Fatalf("step %d: Notify = %v, want code %q", i, err, s.code)
				}
			}
			if diff := cmp.Diff(tc.want, ch.sent); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeliveriesAreKeptPerChannel(t *testing.T) {
	// A fan-out whose email failed retries the whole notification: Slack,
	// which delivered, must not post it again.
	st := openStore(t)
	slack, email := &channel{}, &channel{failing: true}
	channels := []pipeline.Notifier{pipeline.NotifyOnce(st, "slack", quietLog, slack), pipeline.NotifyOnce(st, "email", quietLog, email)}
	n := pipeline.Notification{Key: "assigned:lead-1:rep-ana", Kind: pipeline.NotifyOwnerAssigned, To: "rep-ana", LeadID: "lead-1"}
	for attempt := range 2 {
		email.failing = attempt == 0
		for _, c := range channels {
			_ = c.Notify(t.Context(), n)
		}
	}
	want := []string{"owner_assigned assigned:lead-1:rep-ana"}
	if diff := cmp.Diff(want, slack.sent); diff != "" {
		t.Errorf("slack sent (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, email.sent); diff != "" {
		t.Errorf("email sent (-want +got):\n%s", diff)
	}
}

func TestMailOnce(t *testing.T) {
	ch := &channel{}
	m := pipeline.MailOnce(openStore(t), "email", quietLog, ch)
	e := pipeline.Email{Key: "touch:lead-1:1:0:welcome", LeadID: "lead-1", To: "jane@acme.example"}
	for range 2 {
		if err := m.Send(t.Context(), e); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	if diff := cmp.Diff([]string{"email touch:lead-1:1:0:welcome"}, ch.sent); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
}

// unreadable is a store whose idempotency records cannot be read.
type unreadable struct{ pipeline.Store }

func (unreadable) GetOnce(context.Context, string) (string, bool, error) {
	return "", false, lead.Errorf(lead.EUNAVAILABLE, "store down")
}

func TestNotifyOnceSendsNothingItCannotCheck(t *testing.T) {
	ch := &channel{}
	err := pipeline.NotifyOnce(unreadable{openStore(t)}, "slack", quietLog, ch).Notify(t.Context(), pipeline.Notification{Key: "k", Kind: pipeline.NotifyTask, To: "rep-ana", LeadID: "lead-1"})
	if !lead.IsCode(err, lead.EUNAVAILABLE) {
		t.Errorf("Notify = %v, want %s (the queue retries)", err, lead.EUNAVAILABLE)
	}
	if len(ch.sent) != 0 {
		t.Errorf("sent %v, want nothing", ch.sent)
	}
}
