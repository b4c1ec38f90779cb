package console_test

import (
	"context"
	"github.com/leadflow/leadflow/internal/repotest"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

func TestPagesNeedALogin(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"/console/", "/console/leads", "/console/queues", "/console/fairness", "/console/funnel", "/console/audit", "/console/dlq", "/console/config"} {
		t.Run(path, func(t *testing.T) {
			status, loc, _ := h.do("GET", path, nil)
			if status != http.StatusSeeOther || loc != "/console/login" {
				t.Fatalf("GET %s: status %d location %q, want 303 to the login", path, status, loc)
			}
		})
	}
	status, loc, _ := h.do("GET", "/", nil)
	if status != http.StatusFound || loc != "/console/" {
		t.Fatalf("GET /: status %d location %q, want a redirect to the console", status, loc)
	}
	if status, _, _ := h.do("GET", "/v1/leads/nope", nil); status != http.StatusUnauthorized {
		t.Fatalf("the API behind the console: status %d, want 401 without a bearer token", status)
	}
}

func TestLogin(t *testing.T) {
	tests := []struct {
		name       string
		token      string
		wantStatus int
	}{
		{"wrong token", "guess", http.StatusUnauthorized},
		{"empty token", "", http.StatusUnauthorized},
		{"the token", token, http.StatusSeeOther},
	}
	h := newHarness(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", h.base+"/console/login", strings.NewReader(url.Values{"token": {tc.token}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := h.cl.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if strings.Contains(resp.Header.Get("Location"), tc.token) && tc.token != "" {
				t.Fatalf("the token is in the redirect %q", resp.Header.Get("Location"))
			}
			cookies := resp.Cookies()
			if tc.wantStatus != http.StatusSeeOther {
				if len(cookies) != 0 {
					t.Fatalf("a failed login set cookies %v", cookies)
				}
				return
			}
			if len(cookies) != 1 {
				t.Fatalf("cookies %v, want one session cookie", cookies)
			}
			c := cookies[0]
			got := []any{c.HttpOnly, c.SameSite, c.Path, c.Value == tc.token}
			if diff := cmp.Diff([]any{true, http.SameSiteStrictMode, "/console/", false}, got); diff != "" {
				t.Fatalf("session cookie (-want +got):\n%s", diff)
			}
		})
	}
	if status, _, _ := h.do("GET", "/console/leads", nil); status != http.StatusOK {
		t.Fatalf("after login: status %d", status)
	}
	if status, _, _ := h.do("POST", "/console/logout", url.Values{"csrf": {h.csrf()}}); status != http.StatusSeeOther {
		t.Fatalf("logout: status %d", status)
	}
	if status, loc, _ := h.do("GET", "/console/leads", nil); status != http.StatusSeeOther || loc != "/console/login" {
		t.Fatalf("after logout: status %d location %q, want the login", status, loc)
	}
}

func TestPostsNeedTheCSRFToken(t *testing.T) {
	h := newHarness(t)
	id := h.submit("demo-request", vpOfSales("dana@northwind-analytics.com"))
	h.login()
	tests := []struct {
		name string
		form url.Values
	}{
		{"no token", url.Values{}},
		{"wrong token", url.Values{"csrf": {"forged"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if status, _, _ := h.do("POST", "/console/leads/"+id+"/contacted", tc.form); status != http.StatusForbidden {
				t.Fatalf("status %d, want 403", status)
			}
		})
	}
	t.Run("cross-origin", func(t *testing.T) {
		req, _ := http.NewRequest("POST", h.base+"/console/leads/"+id+"/contacted", strings.NewReader(url.Values{"csrf": {h.csrf()}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		resp, err := h.cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
	})
	l, err := h.app.Store.GetLead(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !l.ContactedAt.IsZero() {
		t.Fatal("a refused post marked the lead contacted")
	}
}

// TestOutputIsEscaped stores a lead whose every text field is markup and
// checks that every page that shows it renders the text, never the markup.
func TestOutputIsEscaped(t *testing.T) {
	h := newHarness(t)
	const evil = `<script>alert(1)</script>`
	now := h.app.Clock().Now()
	l := &lead.Lead{
		ID: "evil-lead", Email: "evil@example.com", FirstName: evil, LastName: `"><img src=x onerror=alert(2)>`,
		Title: evil, Company: evil, Industry: evil, Source: evil, Stage: lead.StageSQL, Owner: "ava.brooks", Team: "us-east",
		Score:      lead.Score{Total: 90, Fit: 25, Reasons: []lead.Reason{{Code: evil, Points: 25, Layer: lead.LayerFit, Detail: evil}}},
		Routing:    &lead.Routing{Rule: evil, Owner: "ava.brooks", Explanation: []string{evil}, At: now},
		Enrichment: lead.Enrichment{Status: evil, Provider: evil, Error: evil, Sources: map[string]string{evil: evil}},
		History:    []lead.Change{{At: now, Kind: "stage", From: "new", To: "sql", Cause: evil}},
		CreatedAt:  now, RoutedAt: now, UpdatedAt: now, LastActivityAt: now,
	}
	if err := h.app.Store.CreateLead(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Store.AddActivity(context.Background(), lead.Activity{ID: "a1", LeadID: l.ID, Type: lead.ActivityPageView, URL: "https://x.example/" + evil, OccurredAt: now}); err != nil {
		t.Fatal(err)
	}
	h.login()
	for _, path := range []string{"/console/leads", "/console/leads/evil-lead", "/console/queues", "/console/funnel", "/console/audit"} {
		t.Run(path, func(t *testing.T) {
			body := h.get(path)
			if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
				t.Fatalf("%s renders the lead's markup as markup", path)
			}
			if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Fatalf("%s does not show the lead's text escaped", path)
			}
		})
	}
}

// TestSearchKeepsPersonalDataOutOfURLs searches by email and by company:
// the results page is reached through an opaque id, and the lead is found.
func TestSearchKeepsPersonalDataOutOfURLs(t *testing.T) {
	h := newHarness(t)
	id := h.submit("demo-request", vpOfSales("dana@northwind-analytics.com"))
	h.submit("contact-us", map[string]string{"email": "lee@contoso-cloud.com", "first_name": "Lee", "company": "Contoso Cloud", "country": "US"})
	h.login()
	tests := []struct {
		name, q string
		want    bool
	}{
		{"email", "dana@northwind-analytics.com", true},
		{"company, any case", "NORTHWIND", true},
		{"no match", "fabrikam", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, loc := h.post("/console/leads/search", url.Values{"q": {tc.q}})
			if status != http.StatusSeeOther {
				t.Fatalf("search: status %d", status)
			}
			if strings.Contains(strings.ToLower(loc), strings.ToLower(strings.Split(tc.q, "@")[0])) {
				t.Fatalf("the search text is in the URL %q", loc)
			}
			body := h.get(loc)
			if got := strings.Contains(body, "/console/leads/"+id); got != tc.want {
				t.Fatalf("lead listed = %v, want %v", got, tc.want)
			}
			if strings.Contains(body, "lee@contoso-cloud.com") {
				t.Fatal("the other lead is listed")
			}
		})
	}
}

// TestEmailSearchFindsANewLead searches for a lead captured after the
// leads snapshot was taken: an exact email goes to the email index.
func TestEmailSearchFindsANewLead(t *testing.T) {
	h := newHarness(t)
	h.submit("contact-us", map[string]string{"email": "lee@contoso-cloud.com", "first_name": "Lee", "company": "Contoso Cloud", "country": "US"})
	h.login()
	h.get("/console/leads")
	id := h.submit("demo-request", vpOfSales("dana@northwind-analytics.com"))
	_, loc := h.post("/console/leads/search", url.Values{"q": {"Dana@Northwind-Analytics.com"}})
	if body := h.get(loc); !strings.Contains(body, "/console/leads/"+id) {
		t.Fatal("the lead captured after the snapshot is not found by its email")
	}
}

func TestFiltersSortAndPages(t *testing.T) {
	h := newHarness(t)
	sql := h.submit("demo-request", vpOfSales("dana@northwind-analytics.com"))
	low := h.submit("contact-us", map[string]string{"email": "jo@gmail.com", "first_name": "Jo", "country": "US"})
	h.login()
	tests := []struct {
		name, query string
		want        []string // lead ids in page order
	}{
		{"all by score", "", []string{sql, low}},
		{"score ascending", "?sort=score&dir=asc", []string{low, sql}},
		{"stage sql", "?stage=sql", []string{sql}},
		{"unassigned", "?owner=-", []string{low}},
		{"band 80+", "?band=80%2B", nil},
		{"band 40-59", "?band=40-59", []string{sql}},
		{"page two is empty", "?page=2", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := h.get("/console/leads" + tc.query)
			var got []string
			for _, part := range strings.Split(body, `href="/console/leads/`)[1:] {
				got = append(got, part[:strings.Index(part, `"`)])
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("leads listed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRepActions marks a lead contacted (its SLA timer stops), refuses a
// disqualification without a reason, reassigns it and disqualifies it.
func TestRepActions(t *testing.T) {
	h := newHarness(t)
	id := h.submit("demo-request", vpOfSales("dana@northwind-analytics.com"))
	h.login()
	page := h.get("/console/leads/" + id)
	for _, want := range []string{"demo_request", "icp_title", "icp_headcount", "sla timer fires", "running: manager alert in 4h 0m"} {
		if !strings.Contains(page, want) {
			t.Fatalf("lead page lacks %q", want)
		}
	}
	if got := slaTimers(h, id); got != 1 {
		t.Fatalf("pending SLA timers before contact = %d, want 1", got)
	}

	if status, loc := h.post("/console/leads/"+id+"/contacted", nil); status != http.StatusSeeOther || loc != "/console/leads/"+id {
		t.Fatalf("contacted: status %d location %q", status, loc)
	}
	page = h.get("/console/leads/" + id)
	for _, want := range []string{"Marked contacted", "stopped: contacted after", "No SLA timer is running."} {
		if !strings.Contains(page, want) {
			t.Fatalf("after contact the lead page lacks %q", want)
		}
	}
	if got := slaTimers(h, id); got != 0 {
		t.Fatalf("pending SLA timers after contact = %d, want 0", got)
	}

	steps := []struct {
		name, path string
		form       url.Values
		wantFlash  string
		check      func(*lead.Lead) bool
	}{
		{"disqualify without a reason", "/disqualify", url.Values{"reason": {"  "}}, "Not done: a reason is required", func(l *lead.Lead) bool { return l.Stage == lead.StageSQL }},
		{"reassign to nobody", "/reassign", url.Values{}, "Not done: choose the rep", func(l *lead.Lead) bool { return l.Stage == lead.StageSQL }},
		{"reassign", "/reassign", url.Values{"owner": {"priya.shah"}, "reason": {"territory swap"}}, "Reassigned to priya.shah", func(l *lead.Lead) bool { return l.Owner == "priya.shah" }},
		{"disqualify", "/disqualify", url.Values{"reason": {"student project"}}, "Disqualified.", func(l *lead.Lead) bool {
			return l.Stage == lead.StageDisqualified && l.DisqualifyReason == "student project"
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if status, _ := h.post("/console/leads/"+id+st.path, st.form); status != http.StatusSeeOther {
				t.Fatalf("status %d, want 303", status)
			}
			if page := h.get("/console/leads/" + id); !strings.Contains(page, st.wantFlash) {
				t.Fatalf("lead page lacks the message %q", st.wantFlash)
			}
			l, err := h.app.Store.GetLead(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if !st.check(l) {
				t.Fatalf("lead after %s: stage %s owner %s", st.name, l.Stage, l.Owner)
			}
		})
	}
	if strings.Contains(h.logs.String(), "dana@northwind-analytics.com") || strings.Contains(h.logs.String(), "Whitfield") {
		t.Fatal("personal data in the logs")
	}
}

func slaTimers(h *harness, id string) int {
	h.t.Helper()
	n := 0
	for _, tm := range h.app.Timers.Pending(id) {
		if tm.Kind == pipeline.TimerSLA {
			n++
		}
	}
	return n
}

func TestEveryPageRenders(t *testing.T) {
	h := newHarness(t)
	id := h.submit("demo-request", vpOfSales("dana@northwind-analytics.com"))
	if _, err := h.app.Service.RecordOutcome(context.Background(), pipeline.Outcome{LeadID: id, Outcome: pipeline.OutcomeClosedWon}); err != nil {
		t.Fatal(err)
	}
	h.login()
	tests := []struct {
		path string
		want []string
	}{
		{"/console/leads", []string{"1 of 1 leads", "Northwind Analytics"}},
		{"/console/leads/" + id, []string{"Score over time", "<svg class=\"chart\"", "territory", "closed_won"}},
		{"/console/queues", []string{"US East", "Ava Brooks"}},
		{"/console/fairness?window=7d", []string{"US East — 1 routed", "since 2026-11-17"}},
		{"/console/fairness?window=all", []string{"over all time"}},
		{"/console/funnel", []string{"Speed to lead", "web_form"}},
		{"/console/audit", []string{"2026-Q4", "<svg"}},
		{"/console/dlq", []string{"No dead letters."}},
		{"/console/config", []string{"icp_title", "Replay a candidate config"}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			body := h.get(tc.path)
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s lacks %q", tc.path, w)
				}
			}
		})
	}
	if status, _, _ := h.do("GET", "/console/leads/no-such-lead", nil); status != http.StatusNotFound {
		t.Fatalf("unknown lead: status %d, want 404", status)
	}
	if status, _, _ := h.do("GET", "/console/nowhere", nil); status != http.StatusNotFound {
		t.Fatalf("unknown page: status %d, want 404", status)
	}
}

// TestReplayDiff posts candidate configs: one that does not load shows its
// problems, one that weighs titles more lists the lead that would change.
func TestReplayDiff(t *testing.T) {
	h := newHarness(t)
	id := h.submit("contact-us", map[string]string{
		"email": "maya@contoso-cloud.com", "first_name": "Maya", "title": "Director of Marketing", "company": "Contoso Cloud",
		"employees": "200", "industry": "saas", "country": "US", "state": "CA", "consent": "yes",
	})
	root := repotest.Root(t)
	raw, err := os.ReadFile(filepath.Join(root, "leadflow.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base := string(raw)
	heavier := strings.Replace(strings.Replace(base, "points: 15\n", "points: 75\n", 1), `version: "2025.06-reference"`, `version: "candidate"`, 1)
	h.login()
	tests := []struct {
		name, candidate string
		wantStatus      int
		want            []string
	}{
		{"empty", " ", http.StatusUnprocessableEntity, []string{"Paste a candidate config"}},
		{"invalid", "version: x\nscoring: {rules: [{code: broken, layer: fit, points: 1, when: 'lead.nope > 1'}]}\n", http.StatusUnprocessableEntity, []string{"does not load", "replay-problems"}},
		{"unchanged", base, http.StatusOK, []string{"Replay of 1 leads: 0 would change", "No lead changes stage or owner."}},
		{"heavier titles", heavier, http.StatusOK, []string{"Replay of 1 leads: 1 would change", "/console/leads/" + id, "new → sql", "icp_title"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := h.do("POST", "/console/config/replay", url.Values{"csrf": {h.csrf()}, "candidate": {tc.candidate}})
			if status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", status, tc.wantStatus, regexp.MustCompile(`(?s)<ul class="error-text".*?</ul>`).FindString(body))
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("the answer lacks %q", w)
				}
			}
		})
	}
}
