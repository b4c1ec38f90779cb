package slack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/slack"
)

// reply is one scripted webhook answer.
type reply struct {
	status     int
	retryAfter string
	hang       bool // never answer: the client must time out
}

// webhook serves the scripted replies in order (the last one repeats) and
// records the texts posted.
type webhook struct {
	mu      sync.Mutex
	replies []reply
	texts   []string
}

func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var m struct{ Text string }
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || r.Header.Get("Content-Type") != "application/json" {
		http.Error(rw, "invalid_payload", http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	w.texts = append(w.texts, m.Text)
	rep := w.replies[min(len(w.texts), len(w.replies))-1]
	w.mu.Unlock()
	if rep.hang {
		<-r.Context().Done()
		return
	}
	if rep.retryAfter != "" {
		rw.Header().Set("Retry-After", rep.retryAfter)
	}
	rw.WriteHeader(rep.status)
	_, _ = rw.Write([]byte("ok"))
}

func TestNotify(t *testing.T) {
	note := pipeline.Notification{Key: "lead-1:owner_assigned", Kind: pipeline.NotifyOwnerAssigned, To: "rep-ana", LeadID: "lead-1", Subject: "New lead: VP Sales at Cobol Works", Body: "Score 91. Contact within 4 hours."}
	text := note.Subject + "\n" + note.Body
	tests := []struct {
		name      string
		replies   []reply
		wantPosts int
		wantWaits []time.Duration // nil: waits are backoff, checked for count only
		waits     int
		wantCode  string
	}{
		{"ok", []reply{{status: 200}}, 1, nil, 0, ""},
		{"500 then ok", []reply{{status: 500}, {status: 200}}, 2, nil, 1, ""},
		{"429 honours Retry-After", []reply{{status: 429, retryAfter: "3"}, {status: 200}}, 2, []time.Duration{3 * time.Second}, 1, ""},
		{"429 asking too long", []reply{{status: 429, retryAfter: "120"}}, 1, nil, 0, lead.ERATELIMIT},
		{"5xx until attempts run out", []reply{{status: 503}}, 3, nil, 2, lead.EUNAVAILABLE},
		{"timeout then ok", []reply{{hang: true}, {status: 200}}, 2, nil, 1, ""},
		{"revoked webhook", []reply{{status: 404}}, 1, nil, 0, lead.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &webhook{replies: tc.replies}
			srv := httptest.NewServer(w)
			defer srv.Close()
			var waits []time.Duration
			n := slack.New(slack.Fixed(srv.URL+"/services/T1/B1/secret"), srv.Client(),
				slack.WithTimeout(100*time.Millisecond), slack.WithAttempts(3),
				slack.WithSleep(func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }))
			err := n.Notify(t.Context(), note)
			if got := lead.ErrorCode(err); got != tc.wantCode {
				t.Errorf("Notify error %v, want code %q", err, tc.wantCode)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q reveals the webhook URL", err)
			}
			if len(w.texts) != tc.wantPosts {
				t.Errorf("%d posts, want %d", len(w.texts), tc.wantPosts)
			}
			for _, got := range w.texts {
				if got != text {
					t.Errorf("posted text %q, want %q", got, text)
				}
			}
			if len(waits) != tc.waits {
				t.Errorf("waited %v, want %d waits", waits, tc.waits)
			}
			if tc.wantWaits != nil {
				if diff := cmp.Diff(tc.wantWaits, waits); diff != "" {
					t.Errorf("waits (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestNotifyUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/services/T1/B1/secret"
	srv.Close()
	n := slack.New(slack.Fixed(url), nil, slack.WithAttempts(2), slack.WithSleep(func(context.Context, time.Duration) error { return nil }))
	err := n.Notify(t.Context(), pipeline.Notification{Key: "k", Kind: pipeline.NotifyTask, To: "rep-ana", Subject: "s", Body: "b"})
	if lead.ErrorCode(err) != lead.EUNAVAILABLE {
		t.Errorf("Notify to a closed server = %v, want EUNAVAILABLE", err)
	}
	if err != nil && strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q reveals the webhook URL", err)
	}
}

func TestPostsSayWhomTheyAreFor(t *testing.T) {
	roster := func(id string) (string, string, bool) {
		switch id {
		case "ava.brooks":
			return "Ava Brooks", "U024BE7LH", true
		case "m.carter":
			return "Maria Carter", "", true
		}
		return "", "", false
	}
	tests := []struct {
		name   string
		roster slack.Roster
		to     string
		want   string
	}{
		{"a member ID is mentioned", roster, "ava.brooks", "<@U024BE7LH> New lead: Dana\nScore 55."},
		{"else the name is shown", roster, "m.carter", "*Maria Carter*: New lead: Dana\nScore 55."},
		{"else the id", roster, "rep-unknown", "rep-unknown: New lead: Dana\nScore 55."},
		{"no roster, no addressee", nil, "ava.brooks", "New lead: Dana\nScore 55."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &webhook{replies: []reply{{status: 200}}}
			srv := httptest.NewServer(w)
			defer srv.Close()
			var opts []slack.Option
			if tc.roster != nil {
				opts = append(opts, slack.WithRoster(tc.roster))
			}
			note := pipeline.Notification{Key: "k", Kind: pipeline.NotifyOwnerAssigned, To: tc.to, LeadID: "lead-1", Subject: "New lead: Dana", Body: "Score 55."}
			if err := slack.New(slack.Fixed(srv.URL), srv.Client(), opts...).Notify(t.Context(), note); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			if diff := cmp.Diff([]string{tc.want}, w.texts); diff != "" {
				t.Errorf("posted (-want +got):\n%s", diff)
			}
		})
	}
}
