// Package notifytest is the conformance suite of the Notifier and Mailer
// ports, as the people told see them. Every adapter runs it unchanged: the
// local outbox, and Slack and SES behind the store's delivery records
// (pipeline.NotifyOnce, pipeline.MailOnce).
package notifytest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// Message is what reached a person.
type Message struct {
	Subject, Body string
}

// Channel is one adapter under test, with recipients no other test uses.
type Channel struct {
	Notifier pipeline.Notifier
	// Notes returns the notifications that reached the rep or manager id.
	Notes func(t *testing.T, to string) []Message
	// Mailer and Emails are nil for a channel that sends no nurture email;
	// Emails returns the emails that reached the address.
	Mailer pipeline.Mailer
	Emails func(t *testing.T, to string) []Message
}

// Run runs every conformance test; open returns a fresh Channel for one
// test.
func Run(t *testing.T, open func(t *testing.T) Channel) {
	t.Run("NotifyReachesTheRecipient", func(t *testing.T) { reaches(t, open(t)) })
	t.Run("NotifyOncePerKey", func(t *testing.T) { oncePerKey(t, open(t)) })
	t.Run("NotifyRejectsWithoutKeyOrRecipient", func(t *testing.T) { notifyRejects(t, open(t)) })
	t.Run("MailReachesTheAddressOncePerKey", func(t *testing.T) { mail(t, open(t)) })
	t.Run("MailRejectsWithoutKeyOrRecipient", func(t *testing.T) { mailRejects(t, open(t)) })
}

var at = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func note(key, kind, to string) pipeline.Notification {
	return pipeline.Notification{Key: key, Kind: kind, To: to, LeadID: "lead-" + to, Subject: "New lead: Dana Reyes (Northwind)", Body: "VP of Sales\nStage sql, score 55", At: at}
}

func notify(t *testing.T, c Channel, ns ...pipeline.Notification) {
	t.Helper()
	for _, n := range ns {
		if err := c.Notifier.Notify(t.Context(), n); err != nil {
			t.Fatalf("Notify(%s): %v", n.Key, err)
		}
	}
}

func expect(t *testing.T, what string, want, got []Message) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

func reaches(t *testing.T, c Channel) {
	n := note("assigned:lead-1:rep-reach", pipeline.NotifyOwnerAssigned, "rep-reach")
	notify(t, c, n)
	expect(t, "rep-reach got", []Message{{n.Subject, n.Body}}, c.Notes(t, "rep-reach"))
	expect(t, "mgr-reach got", nil, c.Notes(t, "mgr-reach"))
}

func oncePerKey(t *testing.T, c Channel) {
	first := note("assigned:lead-1:rep-once", pipeline.NotifyOwnerAssigned, "rep-once")
	sameKey := first
	sameKey.Kind, sameKey.Subject = pipeline.NotifySLAWarning, "SLA: not contacted"
	other := note("sla-alert:lead-1:rep-once", pipeline.NotifySLAWarning, "rep-once")
	other.Subject = "SLA: lead not contacted within 4h"
	notify(t, c, first, first, sameKey, other, other)
	expect(t, "rep-once got", []Message{{first.Subject, first.Body}, {other.Subject, other.Body}}, c.Notes(t, "rep-once"))
}

func notifyRejects(t *testing.T, c Channel) {
	noKey := note("", pipeline.NotifyTask, "rep-reject")
	noRecipient := note("task:lead-1", pipeline.NotifyTask, "")
	for _, n := range []pipeline.Notification{noKey, noRecipient} {
		if err := c.Notifier.Notify(t.Context(), n); !lead.IsCode(err, lead.EINVALID) {
			t.Errorf("Notify(key %q, to %q) = %v, want %s", n.Key, n.To, err, lead.EINVALID)
		}
	}
	expect(t, "rep-reject got", nil, c.Notes(t, "rep-reject"))
}

func email(key, to string) pipeline.Email {
	return pipeline.Email{Key: key, LeadID: "lead-1", To: to, Subject: "Your pricing questions", Body: "Hi Dana,\nhere is the deck.", At: at}
}

func mail(t *testing.T, c Channel) {
	if c.Mailer == nil {
		return
	}
	const to = "dana.once@notifytest.example"
	first, next := email("nurture:lead-1:general.1:day-0.0", to), email("nurture:lead-1:general.1:day-14.0", to)
	next.Subject = "A case study"
	for _, e := range []pipeline.Email{first, first, next} {
		if err := c.Mailer.Send(t.Context(), e); err != nil {
			t.Fatalf("Send(%s): %v", e.Key, err)
		}
	}
	expect(t, to+" got", []Message{{first.Subject, first.Body}, {next.Subject, next.Body}}, c.Emails(t, to))
}

func mailRejects(t *testing.T, c Channel) {
	if c.Mailer == nil {
		return
	}
	const to = "dana.reject@notifytest.example"
	for _, e := range []pipeline.Email{email("", to), email("nurture:lead-1:x", "")} {
		if err := c.Mailer.Send(t.Context(), e); !lead.IsCode(err, lead.EINVALID) {
			t.Errorf("Send(key %q, to %q) = %v, want %s", e.Key, e.To, err, lead.EINVALID)
		}
	}
	expect(t, to+" got", nil, c.Emails(t, to))
}
