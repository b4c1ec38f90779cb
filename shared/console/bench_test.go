package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/local"
)

// benchLeads is the store size every page must render in under 300 ms.
const benchLeads = 10_000

// seedLead is a routed or unrouted lead shaped like the pipeline's: reasons
// in every layer, a history of enrichment, score and stage changes.
func seedLead(i int, now time.Time) *lead.Lead {
	reps := []string{"ava.brooks", "marcus.lee", "priya.shah", "jordan.kim", "nina.patel", "olivia.hughes"}
	teams := []string{"us-east", "us-east", "us-east", "us-central", "us-west", "emea"}
	sources := []string{"web_form", "linkedin", "import", "api"}
	stages := []lead.Stage{lead.StageNew, lead.StageEngaged, lead.StageMQL, lead.StageSQL, lead.StageSAL, lead.StageCustomer, lead.StageClosedLost, lead.StageDisqualified}
	created := now.Add(-time.Duration(i%400) * 24 * time.Hour).Add(-time.Duration(i) * time.Minute)
	total := float64(i%110) - 10
	l := &lead.Lead{
		ID: fmt.Sprintf("lead-%06d", i), Email: fmt.Sprintf("person%d@company%d.example", i, i%900),
		FirstName: "Person", LastName: fmt.Sprintf("Number %d", i), Title: "VP of Sales", Company: fmt.Sprintf("Company %d", i%900),
		Domain: fmt.Sprintf("company%d.example", i%900), Country: "US", State: "NY", Employees: 50 + i%4000, Industry: "software",
		Source: sources[i%len(sources)], Form: "demo-request", Consent: lead.ConsentGranted, Stage: stages[i%len(stages)],
		Score: lead.Score{Total: total, Fit: 25, Intent: total - 25, Reasons: []lead.Reason{
			{Code: "icp_title", Points: 15, Layer: lead.LayerFit}, {Code: "icp_headcount", Points: 10, Layer: lead.LayerFit},
			{Code: "email_open", Points: 4, Layer: lead.LayerIntent, Count: 2}, {Code: "pricing_page", Points: 10, Layer: lead.LayerIntent},
			{Code: "demo_request", Points: total - 39, Layer: lead.LayerIntent, Detail: "decayed ×0.5"},
		}, ConfigVersion: "2026-11-01", At: created.Add(time.Hour)},
		Enrichment: lead.Enrichment{Status: lead.EnrichmentOK, Provider: "dataset", Sources: map[string]string{"industry": "dataset", "employees": "dataset"}, At: created},
		History: []lead.Change{
			{At: created, Kind: "enrichment", To: "ok", Cause: "captured"},
			{At: created.Add(time.Minute), Kind: "score", From: "0", To: "25", Cause: "icp_title,icp_headcount"},
			{At: created.Add(time.Hour), Kind: "score", From: "25", To: fmt.Sprint(total), Cause: "demo_request"},
			{At: created.Add(time.Hour), Kind: "stage", From: "new", To: string(stages[i%len(stages)]), Cause: "score"},
		},
		CreatedAt: created, UpdatedAt: created.Add(time.Hour), LastActivityAt: created.Add(time.Hour),
	}
	if l.Stage.Rank() >= lead.StageSQL.Rank() || l.Stage == lead.StageClosedLost {
		rep := i % len(reps)
		l.Owner, l.Team, l.RoutedAt = reps[rep], teams[rep], created.Add(time.Hour+time.Second)
		l.Routing = &lead.Routing{Rule: "territory", Team: teams[rep], Owner: reps[rep], Explanation: []string{"territory: US/NY → us-east", "round robin"}, At: l.RoutedAt}
		if i%3 == 0 {
			l.ContactedAt = l.RoutedAt.Add(2 * time.Hour)
		}
	}
	return l
}

// seed creates n leads with a few writers, so commits are shared.
func seed(b *testing.B, app *local.App, n int) {
	b.Helper()
	now := app.Clock().Now()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				if err := app.Store.CreateLead(context.Background(), seedLead(i, now)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatalf("seed: %v", err)
	}
}

// BenchmarkPages renders every page over a 10,000-lead embedded store,
// through the same handler `leadflow dev` serves: ns/op is the server time
// of one page.
func BenchmarkPages(b *testing.B) {
	app, err := local.New(local.Options{
		Addr: "127.0.0.1:0", DataDir: b.TempDir(), Token: token, Clock: "manual", Start: start, RateLimit: -1,
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	seed(b, app, benchLeads)
	h := app.Handler()
	serve := func(method, path string, form url.Values, cookie *http.Cookie) *httptest.ResponseRecorder {
		var req *http.Request
		if form != nil {
			req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req = httptest.NewRequest(method, path, nil)
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	login := serve("POST", "/console/login", url.Values{"token": {token}}, nil)
	cookie := login.Result().Cookies()[0]
	csrf := csrfRe.FindStringSubmatch(serve("GET", "/console/config", nil, cookie).Body.String())[1]
	search := serve("POST", "/console/leads/search", url.Values{"csrf": {csrf}, "q": {"company12"}}, cookie).Header().Get("Location")
	pages := []struct{ name, path string }{
		{"leads", "/console/leads"},
		{"leads_filtered_sorted_page3", "/console/leads?stage=sql&band=60-79&sort=company&dir=asc&page=3"},
		{"leads_search", search},
		{"lead", "/console/leads/lead-004243"},
		{"queues", "/console/queues"},
		{"fairness", "/console/fairness?window=all"},
		{"funnel", "/console/funnel"},
		{"audit", "/console/audit"},
		{"dlq", "/console/dlq"},
		{"config", "/console/config"},
	}
	// Pages are timed in the steady state: the snapshot exists, as it does
	// while an operator uses the console.
	if rec := serve("GET", "/console/leads", nil, cookie); rec.Code != http.StatusOK {
		b.Fatalf("warm-up: status %d", rec.Code)
	}
	// The snapshot refresh behind the list and report pages: one full scan
	// of the store, in the background, not in a page's time.
	b.Run("snapshot_store_scan", func(b *testing.B) {
		for b.Loop() {
			n := 0
			if err := app.Store.ScanLeads(context.Background(), func(*lead.Lead) error { n++; return nil }); err != nil || n != benchLeads {
				b.Fatalf("scan: %d leads, %v", n, err)
			}
		}
	})
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				if rec := serve("GET", p.path, nil, cookie); rec.Code != http.StatusOK {
					b.Fatalf("GET %s: status %d", p.path, rec.Code)
				}
			}
		})
	}
}
