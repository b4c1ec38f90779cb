package slack_test

import (
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/shared/embedded"
	"github.com/leadflow/leadflow/shared/notifytest"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/slack"
)

// TestConformance runs the Notifier conformance suite on Slack as the
// functions wire it: behind the delivery records of an embedded store,
// posting to a recording webhook. The roster names each recipient, which
// is how the recipient of a post is read back.
func TestConformance(t *testing.T) {
	notifytest.Run(t, func(t *testing.T) notifytest.Channel {
		store, err := embedded.Open(filepath.Join(t.TempDir(), "leadflow.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		w := &webhook{replies: []reply{{status: 200}}}
		srv := httptest.NewServer(w)
		t.Cleanup(srv.Close)
		roster := func(id string) (string, string, bool) { return id, "", true }
		n := slack.New(slack.Fixed(srv.URL), srv.Client(), slack.WithRoster(roster))
		notes := func(_ *testing.T, to string) []notifytest.Message {
			w.mu.Lock()
			defer w.mu.Unlock()
			var out []notifytest.Message
			for _, text := range w.texts {
				rest, ok := strings.CutPrefix(text, "*"+to+"*: ")
				if !ok {
					continue
				}
				subject, body, _ := strings.Cut(rest, "\n")
				out = append(out, notifytest.Message{Subject: subject, Body: body})
			}
			return out
		}
		return notifytest.Channel{Notifier: pipeline.NotifyOnce(store, "slack", slog.New(slog.DiscardHandler), n), Notes: notes}
	})
}
