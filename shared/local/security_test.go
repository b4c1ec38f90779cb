package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/faults"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/localbus"
	"github.com/leadflow/leadflow/shared/pipeline"
)

func TestEveryInternalRouteNeedsAValidToken(t *testing.T) {
	h := newHarness(t, nil)
	id := h.submit("demo-request", vpOfSales("token@northwind-analytics.com"), nil)
	h.settle()
	routes := []struct{ method, path, body string }{
		{"GET", "/v1/leads/" + id, ""},
		{"GET", "/v1/leads?email=token@northwind-analytics.com", ""},
		{"DELETE", "/v1/leads/" + id, ""},
		{"GET", "/v1/owners/ava.brooks/queue", ""},
		{"POST", "/v1/leads/" + id + "/contacted", ""},
		{"POST", "/v1/leads/" + id + "/disqualify", `{"reason":"spam"}`},
		{"POST", "/v1/leads/" + id + "/reassign", `{"owner":"marcus.lee"}`},
		{"GET", "/v1/_dlq", ""},
		{"POST", "/v1/_dlq/redrive", `{}`},
		{"GET", "/v1/_outbox", ""},
		{"GET", "/v1/_stats", ""},
		{"POST", "/v1/_sweep", ""},
		{"POST", "/v1/_settle", ""},
		{"GET", "/v1/_clock", ""},
		{"POST", "/v1/_clock/advance", `{"by":"1h"}`},
	}
	auths := map[string]string{
		"missing":        "",
		"wrong token":    "Bearer not-the-token",
		"token prefix":   "Bearer test-toke",
		"token suffix":   "Bearer test-token-and-more",
		"no scheme":      "test-token",
		"basic scheme":   "Basic dGVzdC10b2tlbg==",
		"lower scheme":   "bearer test-token",
		"empty bearer":   "Bearer ",
		"padded token":   "Bearer  test-token",
		"webhook secret": "Bearer whsec",
	}
	for _, r := range routes {
		for name, auth := range auths {
			t.Run(r.method+" "+r.path+" "+name, func(t *testing.T) {
				headers := map[string]string{}
				if auth != "" {
					headers["Authorization"] = auth
				}
				ct := ""
				if r.body != "" {
					ct = "application/json"
				}
				status, out := h.request(r.method, r.path, ct, []byte(r.body), headers)
				if status != http.StatusUnauthorized || code(out) != "unauthorized" {
					t.Fatalf("status %d %v, want 401 unauthorized", status, out)
				}
			})
		}
	}
	// Nothing above acted: the lead is intact and not contacted.
	if v := h.lead(id); v.Contacted != nil || v.Stage != "sql" {
		t.Fatalf("an unauthorised request changed the lead: stage %s contacted %v", v.Stage, v.Contacted)
	}
}

func code(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func TestSignedWebhooksRefuseBadSignatures(t *testing.T) {
	h := newHarness(t, nil)
	email := "signed@northwind-analytics.com"
	h.submit("contact-us", map[string]string{"email": email}, nil)
	h.settle()
	bodies := map[string][]byte{
		"/v1/events":   []byte(`{"events":[{"email":"` + email + `","type":"email_open"}]}`),
		"/v1/outcomes": []byte(`{"email":"` + email + `","outcome":"sales_accepted"}`),
	}
	now := h.app.Clock().Now()
	secret := []byte("whsec")
	for path, body := range bodies {
		valid := httpapi.Sign(secret, now, body)
		ts := strconv.FormatInt(now.Unix(), 10)
		tests := []struct {
			name    string
			headers map[string]string
		}{
			{"missing", nil},
			{"empty", map[string]string{"X-Leadflow-Signature": ""}},
			{"wrong secret", map[string]string{"X-Leadflow-Signature": httpapi.Sign([]byte("other"), now, body)}},
			{"other body", map[string]string{"X-Leadflow-Signature": httpapi.Sign(secret, now, append([]byte(" "), body...))}},
			{"flipped digit", map[string]string{"X-Leadflow-Signature": flip(valid)}},
			{"no v1", map[string]string{"X-Leadflow-Signature": "t=" + ts}},
			{"no t", map[string]string{"X-Leadflow-Signature": valid[strings.Index(valid, "v1="):]}},
			{"t not a number", map[string]string{"X-Leadflow-Signature": strings.Replace(valid, "t="+ts, "t=soon", 1)}},
			{"signed for another time", map[string]string{"X-Leadflow-Signature": strings.Replace(valid, "t="+ts, "t="+strconv.FormatInt(now.Unix()+1, 10), 1)}},
			{"6 minutes old", map[string]string{"X-Leadflow-Signature": httpapi.Sign(secret, now.Add(-6*time.Minute), body)}},
			{"6 minutes ahead", map[string]string{"X-Leadflow-Signature": httpapi.Sign(secret, now.Add(6*time.Minute), body)}},
			{"a year old", map[string]string{"X-Leadflow-Signature": httpapi.Sign(secret, now.AddDate(-1, 0, 0), body)}},
			{"wrong API key", map[string]string{"X-Api-Key": "guess"}},
			{"wrong API key beats a valid signature", map[string]string{"X-Api-Key": "guess", "X-Leadflow-Signature": httpapi.Sign(secret, now.Add(-time.Second), body)}},
			{"internal token of another app", map[string]string{"Authorization": "Bearer dev-token"}},
		}
		for _, tc := range tests {
			t.Run(path+" "+tc.name, func(t *testing.T) {
				status, out := h.request("POST", path, "application/json", body, tc.headers)
				if status != http.StatusUnauthorized || code(out) != "unauthorized" {
					t.Fatalf("status %d %v, want 401 unauthorized", status, out)
				}
			})
		}
		t.Run(path+" valid then replayed", func(t *testing.T) {
			headers := map[string]string{"X-Leadflow-Signature": valid}
			if status, out := h.request("POST", path, "application/json", body, headers); status != http.StatusAccepted {
				t.Fatalf("valid signature: status %d %v, want 202", status, out)
			}
			status, out := h.request("POST", path, "application/json", body, headers)
			if status != http.StatusUnauthorized || !strings.Contains(fmt.Sprint(out), "replay") {
				t.Fatalf("replayed signature: status %d %v, want 401 naming the replay", status, out)
			}
		})
		t.Run(path+" edge of the window", func(t *testing.T) {
			// A different body: the same one would be a duplicate event.
			body := bytes.Replace(body, []byte("email_open"), []byte("email_click"), 1)
			headers := map[string]string{"X-Leadflow-Signature": httpapi.Sign(secret, now.Add(-5*time.Minute), body)}
			if status, out := h.request("POST", path, "application/json", body, headers); status != http.StatusAccepted {
				t.Fatalf("signature exactly 5 minutes old: status %d %v, want 202", status, out)
			}
		})
	}
	h.settle()
	acts := h.lead(h.leadID(email)).Activities
	if opens, clicks := countActivities(acts, "email_open"), countActivities(acts, "email_click"); opens != 1 || clicks != 1 {
		t.Fatalf("%d opens and %d clicks recorded, want one each (the valid and the edge-of-window posts only)", opens, clicks)
	}
}

// flip changes the last hex digit of a signature.
func flip(sig string) string {
	last := sig[len(sig)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return sig[:len(sig)-1] + string(repl)
}

func (h *harness) leadID(email string) string {
	h.t.Helper()
	status, out := h.internal("GET", "/v1/leads?email="+email, nil)
	if status != 200 {
		h.t.Fatalf("lead by email: status %d %v", status, out)
	}
	return out["id"].(string)
}

func countActivities(acts []lead.Activity, typ lead.ActivityType) int {
	n := 0
	for _, a := range acts {
		if a.Type == typ {
			n++
		}
	}
	return n
}

// person is synthetic PII whose every part is distinctive enough that
// finding it anywhere means it leaked.
type person struct {
	first, last, email, phone, e164 string
}

func people(n int) []person {
	out := make([]person, n)
	for i := range out {
		first := fmt.Sprintf("Zephyrine%03d", i)
		last := fmt.Sprintf("Quillfeather%03d", i)
		out[i] = person{
			first: first, last: last,
			email: fmt.Sprintf("%s.%s@northwind-analytics%d.com", strings.ToLower(first), strings.ToLower(last), i),
			phone: fmt.Sprintf("(212) 555-%04d", 1000+i),
			e164:  fmt.Sprintf("+1212555%04d", 1000+i),
		}
	}
	return out
}

func (p person) fields() map[string]string {
	f := vpOfSales(p.email)
	f["first_name"], f["last_name"], f["phone"] = p.first, p.last, p.phone
	return f
}

func (p person) secrets() []string {
	return []string{p.first, p.last, p.email, p.phone, p.e164, strings.TrimPrefix(p.e164, "+")}
}

// syncBuffer is a log sink safe for the app's concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestLogsNeverCarryPII(t *testing.T) {
	logs := &syncBuffer{}
	// Failures make handlers and the API log errors, where PII most often
	// leaks.
	spec, err := faults.Parse("store=0.02,deliver=0.05,notify=0.2,seed=3")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(o *Options) {
		o.Log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.Faults = faults.New(spec)
	})
	ps := people(40)
	ids := make([]string, len(ps))
	for i, p := range ps {
		raw, _ := json.Marshal(p.fields())
		out := h.retry("/v1/forms/demo-request", raw, map[string]string{"Idempotency-Key": p.email})
		ids[i] = out["lead_id"].(string)
	}
	// Bad input that echoes PII: a duplicate email, a bad email, unknown
	// leads, a bad outcome.
	for _, p := range ps[:5] {
		raw, _ := json.Marshal(map[string]string{"email": p.email + "@", "first_name": p.first, "phone": p.phone})
		h.request("POST", "/v1/forms/contact-us", "application/json", raw, nil)
		h.request("POST", "/v1/forms/contact-us", "application/json", []byte(`{"email":"`+p.email+`","email":"`+p.email+`"}`), nil)
		h.request("POST", "/v1/forms/no-such-form", "application/json", []byte(`{"email":"`+p.email+`"}`), nil)
		h.internal("GET", "/v1/leads?email=x"+p.email, nil)
	}
	h.settle()
	var evs []pipeline.BehaviourEvent
	for _, p := range ps {
		evs = append(evs, pipeline.BehaviourEvent{Email: p.email, Type: "email_open"}, pipeline.BehaviourEvent{Email: "nobody-" + p.email, Type: "email_click"})
	}
	for start := 0; start < len(evs); start += 4 {
		raw, _ := json.Marshal(map[string]any{"events": evs[start:min(start+4, len(evs))]})
		h.retry("/v1/events", raw, map[string]string{"Authorization": "Bearer test-token"})
	}
	for _, p := range ps[:5] {
		raw := []byte(`{"email":"` + p.email + `","outcome":"sales_rejected"}`)
		h.request("POST", "/v1/outcomes", "application/json", raw, map[string]string{"Authorization": "Bearer test-token"})
	}
	h.internal("DELETE", "/v1/leads/"+ids[0], nil)
	h.settle()
	out := logs.String()
	if !strings.Contains(out, `"msg":"record failed"`) || !strings.Contains(out, `"msg":"request failed"`) {
		t.Fatalf("the run logged no warnings or no lead ids; the scan would prove nothing:\n%.2000s", out)
	}
	for _, p := range ps {
		for _, s := range p.secrets() {
			if i := strings.Index(strings.ToLower(out), strings.ToLower(s)); i >= 0 {
				t.Errorf("log output carries %q: …%s…", s, out[max(0, i-200):min(len(out), i+100)])
			}
		}
	}
}

// retry posts JSON until it is accepted, retrying 503s as a client must;
// it fails the test on any other answer.
func (h *harness) retry(path string, body []byte, headers map[string]string) map[string]any {
	h.t.Helper()
	for attempt := 0; ; attempt++ {
		status, out := h.request("POST", path, "application/json", body, headers)
		switch {
		case status == http.StatusAccepted:
			return out
		case status != http.StatusServiceUnavailable || attempt == 20:
			h.t.Fatalf("POST %s: status %d %v", path, status, out)
		}
	}
}

// recordingPublisher remembers the detail types published.
type recordingPublisher struct {
	pipeline.Publisher
	mu    sync.Mutex
	types map[events.DetailType][]string // detail type → lead ids
}

func (r *recordingPublisher) Publish(ctx context.Context, envs ...events.Envelope) error {
	if err := r.Publisher.Publish(ctx, envs...); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, env := range envs {
		var d struct {
			LeadID string `json:"lead_id"`
		}
		_ = json.Unmarshal(env.Detail, &d)
		r.types[env.DetailType] = append(r.types[env.DetailType], d.LeadID)
	}
	return nil
}

func TestErasureLeavesNoItemOfTheLead(t *testing.T) {
	pub := &recordingPublisher{types: map[events.DetailType][]string{}}
	dir := t.TempDir()
	h := startHarness(t, dir, func(o *Options) {
		o.Wrap = func(s *pipeline.Service) { pub.Publisher = s.Publisher; s.Publisher = pub }
	})
	ps := people(2)
	gone, kept := ps[0], ps[1]
	key := map[string]string{"Idempotency-Key": "erase-me-1"}
	id := h.submit("demo-request", gone.fields(), key)
	h.submit("demo-request", gone.fields(), key) // a retry: an idempotency record
	h.submit("contact-us", map[string]string{"email": gone.email, "first_name": gone.first}, nil)
	keptID := h.submit("demo-request", kept.fields(), nil)
	h.settle()
	h.events(
		pipeline.BehaviourEvent{ID: "ext-1", Email: gone.email, Type: "email_click"},
		pipeline.BehaviourEvent{Email: gone.email, Type: "page_view", URL: "https://northwind.example/pricing"},
	)
	h.settle()
	if v := h.lead(id); v.Owner == nil || len(h.outbox(id)) == 0 {
		t.Fatalf("lead not routed and notified before erasure: owner %v", v.Owner)
	}
	status, out := h.internal("DELETE", "/v1/leads/"+id, nil)
	if status != http.StatusOK {
		t.Fatalf("erase: status %d %v", status, out)
	}
	h.settle()
	if status, _ := h.internal("GET", "/v1/leads/"+id, nil); status != http.StatusNotFound {
		t.Fatalf("erased lead still served: status %d", status)
	}
	if status, _ := h.internal("DELETE", "/v1/leads/"+id, nil); status != http.StatusNotFound {
		t.Fatalf("second erasure: status %d, want 404", status)
	}
	pub.mu.Lock()
	erased := pub.types[events.LeadErased]
	pub.mu.Unlock()
	if len(erased) != 1 || erased[0] != id {
		t.Fatalf("lead.erased published for %v, want once for %s", erased, id)
	}
	// Queues of consumers without a handler yet keep their events; those
	// name the lead by id only, and lead.erased follows them there.
	waiting := map[string]bool{}
	for _, r := range events.Routes {
		if _, err := h.app.Handlers.Consumer(r.Consumer); err != nil {
			waiting[localbus.Bucket+"/queue/"+string(r.Consumer)] = true
		}
	}
	h.stop()

	needles := append([]string{id}, gone.secrets()...)
	found := scanDataFiles(t, dir, needles)
	var leaks []string
	for _, f := range found {
		// lead.erased itself names the lead on its way to the consumers
		// that must forget it.
		erasedEvent := strings.Contains(f.value, `"detail-type":"`+string(events.LeadErased)+`"`)
		if f.bus && f.needle == id && (erasedEvent || waiting[f.bucket]) {
			continue
		}
		leaks = append(leaks, f.String())
	}
	if len(leaks) > 0 {
		t.Errorf("erased lead still in the data files:\n%s", strings.Join(leaks, "\n"))
	}
	// The scan can see: the other lead is still there.
	if len(scanDataFiles(t, dir, []string{keptID, kept.email})) == 0 {
		t.Fatal("the scan found nothing of the lead that was not erased")
	}
}

type finding struct {
	file, bucket, needle, value string
	bus                         bool
}

func (f finding) String() string {
	return fmt.Sprintf("%s bucket %s holds %q in %.200q", f.file, f.bucket, f.needle, f.value)
}

// scanDataFiles opens every bbolt file of dir read-only and reports each
// key or value of any bucket, nested ones included, that contains a needle.
func scanDataFiles(t *testing.T, dir string, needles []string) []finding {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.db"))
	if err != nil || len(files) != 1 {
		t.Fatalf("data files %v (%v), want the one of store, bus, timers and outbox", files, err)
	}
	var out []finding
	for _, path := range files {
		if _, err := os.Stat(path); err != nil {
			t.Fatal(err)
		}
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		name := filepath.Base(path)
		var walk func(prefix string, b *bolt.Bucket) error
		check := func(bucket string, k, v []byte) {
			for _, n := range needles {
				for _, part := range [][]byte{k, v} {
					if bytes.Contains(bytes.ToLower(part), bytes.ToLower([]byte(n))) {
						out = append(out, finding{file: name, bucket: bucket, needle: n, value: string(k) + " = " + string(v), bus: strings.HasPrefix(bucket, localbus.Bucket+"/")})
					}
				}
			}
		}
		walk = func(prefix string, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if v == nil {
					if nb := b.Bucket(k); nb != nil {
						return walk(prefix+"/"+string(k), nb)
					}
				}
				check(prefix, k, v)
				return nil
			})
		}
		err = db.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				return walk(string(name), b)
			})
		})
		db.Close()
		if err != nil {
			t.Fatalf("scan %s: %v", path, err)
		}
	}
	return out
}
