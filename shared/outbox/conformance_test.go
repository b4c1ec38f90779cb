package outbox_test

import (
	"path/filepath"
	"testing"

	"github.com/leadflow/leadflow/shared/notifytest"
	"github.com/leadflow/leadflow/shared/outbox"
)

// TestConformance runs the Notifier and Mailer conformance suite on the
// local outbox.
func TestConformance(t *testing.T) {
	notifytest.Run(t, func(t *testing.T) notifytest.Channel {
		o, err := outbox.Open(filepath.Join(t.TempDir(), "outbox.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { o.Close() })
		read := func(kind string) func(t *testing.T, to string) []notifytest.Message {
			return func(t *testing.T, to string) []notifytest.Message {
				entries, err := o.List(t.Context(), outbox.Filter{To: to, Kind: kind})
				if err != nil {
					t.Fatal(err)
				}
				var out []notifytest.Message
				for _, e := range entries {
					out = append(out, notifytest.Message{Subject: e.Subject, Body: e.Body})
				}
				return out
			}
		}
		return notifytest.Channel{Notifier: o, Notes: read(outbox.KindNotification), Mailer: o, Emails: read(outbox.KindEmail)}
	})
}
