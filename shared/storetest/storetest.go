// Package storetest is the conformance suite of the pipeline.Store port. Every
// adapter (the embedded bbolt store, DynamoDB) runs the same suite unchanged,
// so the port's contract is written down once, as tests.
//
// The suite asserts what the port documents and what DynamoDB can honour, no
// more: it never relies on an order the port leaves open (score ties, scan
// order), on a page being full, on a store ending its paging without an empty
// last page, or on an expired record vanishing at an exact instant.
package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// newStoreFunc returns a fresh, empty store for one subtest and registers its
// cleanup with t.
type newStoreFunc func(t *testing.T) pipeline.Store

// RunConformanceTests runs the Store conformance suite; every subtest gets its
// own store from newStore. The suite reads its own writes through every
// method, the owner queue and the inactivity query included, so an adapter
// whose indexes lag behind its writes fails it.
func RunConformanceTests(t *testing.T, newStore func(t *testing.T) pipeline.Store) {
	t.Helper()
	groups := []struct {
		name string
		run  func(*testing.T, newStoreFunc)
	}{
		{"CreateLead", testCreateLead},
		{"GetLead", testGetLead},
		{"UpdateLead", testUpdateLead},
		{"DeleteLead", testDeleteLead},
		{"Activities", testActivities},
		{"Accounts", testAccounts},
		{"PutOnce", testPutOnce},
		{"Increment", testIncrement},
		{"AddCapped", testAddCapped},
		{"OwnerQueue", testOwnerQueue},
		{"InactiveSince", testInactiveSince},
		{"ScanLeads", testScanLeads},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, newStore) })
	}
}

// base is the suite's reference instant, with sub-second digits so that an
// adapter truncating times is caught.
var base = time.Date(2025, time.March, 14, 9, 26, 53, 589_000_000, time.UTC)

// equate treats nil and empty slices and maps alike: JSON and DynamoDB
// attribute values both lose that distinction.
var equate = cmpopts.EquateEmpty()

type person struct {
	first, last, title, company, domain, country, state, industry string
	seniority, function                                           string
	employees                                                     int
}

var people = []person{
	{"Ada", "Lovelace", "VP Engineering", "Analytical Engines", "analytical-engines.example", "GB", "", "software", "vp", "engineering", 420},
	{"Grace", "Hopper", "Head of Revenue Operations", "Cobol Works", "cobolworks.example", "US", "NY", "financial services", "head", "revenue", 5200},
	{"Katherine", "Johnson", "Director of Marketing", "Orbital Data", "orbitaldata.example", "US", "VA", "aerospace", "director", "marketing", 880},
	{"Hedy", "Lamarr", "Sales Manager", "Spread Spectrum", "spreadspectrum.example", "AT", "", "telecommunications", "manager", "sales", 64},
	{"Alan", "Turing", "Chief Growth Officer", "Bombe Labs", "bombelabs.example", "GB", "", "software", "c_level", "growth", 150},
	{"Margaret", "Hamilton", "Account Executive", "Apollo Guidance", "apolloguidance.example", "CA", "ON", "aerospace", "individual", "sales", 2300},
}

// sampleLead returns a realistic, scored and enriched lead; n varies the
// person, the ID, the email and the times.
func sampleLead(n int) *lead.Lead {
	p := people[n%len(people)]
	at := base.Add(time.Duration(n) * time.Hour)
	return &lead.Lead{
		ID:          fmt.Sprintf("01JQ8N4W6E5H2R7K9T3M%06d", n),
		Email:       fmt.Sprintf("%s.%s+%d@%s", strings.ToLower(p.first), strings.ToLower(p.last), n, p.domain),
		FirstName:   p.first,
		LastName:    p.last,
		Title:       p.title,
		Company:     p.company,
		Website:     "https://www." + p.domain,
		Phone:       fmt.Sprintf("+1212555%04d", n%10000),
		Country:     p.country,
		State:       p.state,
		Employees:   p.employees,
		Industry:    p.industry,
		Domain:      p.domain,
		EmailDomain: p.domain,
		Seniority:   p.seniority,
		Function:    p.function,
		Source:      "web_form",
		Form:        "demo-request",
		Consent:     lead.ConsentGranted,
		Extras:      map[string]string{"utm_source": "linkedin", "utm_campaign": "q1-webinar"},
		Stage:       lead.StageMQL,
		Score: lead.Score{
			Total: 62.5, Fit: 40, Intent: 17.5, Timing: 5,
			Reasons: []lead.Reason{
				{Code: "seniority_" + p.seniority, Points: 25, Layer: lead.LayerFit},
				{Code: "employees_band", Points: 15, Layer: lead.LayerFit},
				{Code: "pricing_page_view", Points: 17.5, Layer: lead.LayerIntent, Count: 3, Detail: "decay 0.5 after 14 days"},
				{Code: "form_recent", Points: 5, Layer: lead.LayerTiming},
			},
			ConfigVersion: "2025-03-01",
			At:            at.Add(2 * time.Second),
		},
		Enrichment: lead.Enrichment{
			Status:   lead.EnrichmentOK,
			Provider: "clearbit",
			Sources:  map[string]string{"employees": "clearbit", "industry": "clearbit"},
			At:       at.Add(time.Second),
		},
		History: []lead.Change{
			{At: at, Kind: "stage", To: string(lead.StageNew), Cause: "captured"},
			{At: at.Add(2 * time.Second), Kind: "stage", From: string(lead.StageNew), To: string(lead.StageMQL), Cause: "score 62.5 >= 50"},
		},
		CreatedAt:      at,
		UpdatedAt:      at.Add(2 * time.Second),
		LastActivityAt: at,
	}
}

// routed makes l an owned lead in stage with the given score total.
func routed(l *lead.Lead, owner string, stage lead.Stage, total float64) *lead.Lead {
	l.Owner, l.Team, l.Stage, l.Score.Total = owner, "enterprise", stage, total
	if owner != "" {
		l.Routing = &lead.Routing{Rule: "territory", Team: "enterprise", Owner: owner, Explanation: []string{"country " + l.Country + " → enterprise"}, At: l.UpdatedAt}
		l.RoutedAt = l.UpdatedAt
	}
	return l
}

func create(t *testing.T, s pipeline.Store, leads ...*lead.Lead) {
	t.Helper()
	for _, l := range leads {
		if err := s.CreateLead(t.Context(), l); err != nil {
			t.Fatalf("CreateLead(%s): %v", l.ID, err)
		}
	}
}

func update(t *testing.T, s pipeline.Store, l *lead.Lead) {
	t.Helper()
	if err := s.UpdateLead(t.Context(), l); err != nil {
		t.Fatalf("UpdateLead(%s): %v", l.ID, err)
	}
}

func get(t *testing.T, s pipeline.Store, id string) *lead.Lead {
	t.Helper()
	l, err := s.GetLead(t.Context(), id)
	if err != nil {
		t.Fatalf("GetLead(%s): %v", id, err)
	}
	return l
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := lead.ErrorCode(err); got != code {
		t.Errorf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

// ids returns the IDs of leads, in order.
func ids(leads []*lead.Lead) []string {
	out := make([]string, len(leads))
	for i, l := range leads {
		out[i] = l.ID
	}
	return out
}

// parallel runs fn(i) for i in [0, n) on n goroutines released together, so
// that they really race.
func parallel(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}
