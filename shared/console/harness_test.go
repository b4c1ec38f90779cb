package console_test

import (
	"bytes"
	"context"
	"github.com/leadflow/leadflow/internal/repotest"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/local"
	"github.com/leadflow/leadflow/shared/localbus"
)

// start is a Tuesday, 10:00 in New York: East reps are in working hours.
var start = time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)

const token = "console-test-token"

// syncBuffer collects log lines from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness is a running local runtime with a logged-in browser-like client.
type harness struct {
	t    *testing.T
	app  *local.App
	base string
	logs *syncBuffer
	cl   *http.Client
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	logs := &syncBuffer{}
	// The shipped config read from its file, so that a candidate config's
	// relative paths resolve beside it.
	app, err := local.New(local.Options{
		ConfigPath: filepath.Join(repotest.Root(t), "leadflow.yaml"),
		Addr:       "127.0.0.1:0", DataDir: t.TempDir(), Token: token, Clock: "manual", Start: start, RateLimit: -1,
		Bus: localbus.Options{BaseBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxReceives: 3},
		Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatalf("new app: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	select {
	case <-app.Ready():
	case err := <-done:
		t.Fatalf("app stopped before ready: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		<-done
		app.Close()
	})
	jar, _ := cookiejar.New(nil)
	h := &harness{t: t, app: app, base: "http://" + app.Addr(), logs: logs, cl: &http.Client{
		Jar: jar,
		// Redirects are checked by the tests, not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	return h
}

// do sends a request and returns the status, the Location header and the
// body.
func (h *harness) do(method, path string, form url.Values) (int, string, string) {
	h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, h.base+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := h.cl.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(raw)
}

// get fetches a page and fails unless it is 200.
func (h *harness) get(path string) string {
	h.t.Helper()
	status, loc, body := h.do("GET", path, nil)
	if status != http.StatusOK {
		h.t.Fatalf("GET %s: status %d (location %q)", path, status, loc)
	}
	return body
}

func (h *harness) login() {
	h.t.Helper()
	status, loc, _ := h.do("POST", "/console/login", url.Values{"token": {token}})
	if status != http.StatusSeeOther || loc != "/console/leads" {
		h.t.Fatalf("login: status %d location %q", status, loc)
	}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the session's CSRF token from a page.
func (h *harness) csrf() string {
	h.t.Helper()
	m := csrfRe.FindStringSubmatch(h.get("/console/leads"))
	if m == nil {
		h.t.Fatal("no CSRF token on the leads page")
	}
	return m[1]
}

// post sends a console form with the session's CSRF token.
func (h *harness) post(path string, form url.Values) (int, string) {
	h.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", h.csrf())
	status, loc, _ := h.do("POST", path, form)
	return status, loc
}

// submit posts a public form and waits for the pipeline.
func (h *harness) submit(formName string, fields map[string]string) string {
	h.t.Helper()
	form := url.Values{}
	for k, v := range fields {
		form.Set(k, v)
	}
	resp, err := http.Post(h.base+"/v1/forms/"+formName, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		h.t.Fatalf("submit: status %d: %s", resp.StatusCode, raw)
	}
	m := regexp.MustCompile(`"lead_id":"([^"]+)"`).FindStringSubmatch(string(raw))
	if m == nil {
		h.t.Fatalf("submit: no lead id in %s", raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.app.Settle(ctx); err != nil {
		h.t.Fatalf("settle: %v", err)
	}
	return m[1]
}

func vpOfSales(email string) map[string]string {
	return map[string]string{
		"email": email, "first_name": "Dana", "last_name": "Whitfield", "title": "VP of Sales",
		"company": "Northwind Analytics", "employees": "500", "industry": "software",
		"country": "US", "state": "NY", "consent": "yes",
	}
}
