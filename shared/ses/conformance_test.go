package ses_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/leadflow/leadflow/shared/embedded"
	"github.com/leadflow/leadflow/shared/notifytest"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/ses"
)

// TestConformance runs the Notifier and Mailer conformance suite on SES in
// moto as the functions wire it: behind the delivery records of an
// embedded store, reps' addresses looked up from their ids.
func TestConformance(t *testing.T) {
	address := func(id string) string { return id + "@notifytest.example" }
	read := func(to func(string) string) func(t *testing.T, id string) []notifytest.Message {
		return func(t *testing.T, id string) []notifytest.Message {
			var out []notifytest.Message
			for _, m := range sentTo(t, to(id)) {
				out = append(out, notifytest.Message{Subject: m.Subject, Body: m.Body})
			}
			return out
		}
	}
	notifytest.Run(t, func(t *testing.T) notifytest.Channel {
		store, err := embedded.Open(filepath.Join(t.TempDir(), "leadflow.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		c, log := client(t), slog.New(slog.DiscardHandler)
		lookup := func(_ context.Context, id string) (string, error) { return address(id), nil }
		return notifytest.Channel{
			Notifier: pipeline.NotifyOnce(store, "ses-notify", log, ses.NewNotifier(c, sender, lookup)),
			Notes:    read(address),
			Mailer:   pipeline.MailOnce(store, "ses-mail", log, ses.NewMailer(c, sender)),
			Emails:   read(func(addr string) string { return addr }),
		}
	})
}
