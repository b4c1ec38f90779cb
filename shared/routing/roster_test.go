package routing

import (
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

// demoConfig is a roster of 5 teams × 3 reps, plus a rep in no team:
//
//	us-east     states NY, MA, NJ, ON    east-1..3 America/New_York
//	emea        region EMEA              emea-1 London, emea-2 Berlin, emea-3 Paris
//	apac        countries JP, AU, SG     apac-1 Tokyo, apac-2 Sydney, apac-3 Singapore
//	enterprise  ≥1000 employees, software/saas, capacity   ent-1..3 America/New_York
//	inbound     fallback                 in-1..3 UTC
//	solo        in no team, named account solo.example
func demoConfig() Config {
	reps := []Rep{
		{ID: "east-1", TimeZone: "America/New_York", Hours: "09:00-17:00"},
		{ID: "east-2", TimeZone: "America/New_York", Hours: "09:00-17:00"},
		{ID: "east-3", TimeZone: "America/New_York", Hours: "09:00-17:00"},
		{ID: "emea-1", TimeZone: "Europe/London", Hours: "09:00-17:00"},
		{ID: "emea-2", TimeZone: "Europe/Berlin", Hours: "09:00-17:00"},
		{ID: "emea-3", TimeZone: "Europe/Paris", Hours: "09:00-17:00"},
		{ID: "apac-1", TimeZone: "Asia/Tokyo", Hours: "09:00-18:00"},
		{ID: "apac-2", TimeZone: "Australia/Sydney", Hours: "08:30-16:30"},
		{ID: "apac-3", TimeZone: "Asia/Singapore", Hours: "09:00-18:00", Days: []string{"mon", "tue", "wed", "thu", "fri", "sat"}},
		{ID: "ent-1", TimeZone: "America/New_York", Capacity: 20},
		{ID: "ent-2", TimeZone: "America/New_York", Capacity: 20, Weight: 2},
		{ID: "ent-3", TimeZone: "America/New_York", Capacity: 20},
		{ID: "in-1"},
		{ID: "in-2"},
		{ID: "in-3"},
		{ID: "solo", TimeZone: "America/Denver"},
	}
	return Config{
		NamedAccounts: []NamedAccount{
			{Domain: "bigco.example", Owner: "ent-1"},
			{Domain: "solo.example", Owner: "solo"},
		},
		Managers: []Manager{{ID: "m-east"}, {ID: "m-emea"}, {ID: "m-apac"}, {ID: "m-ent"}, {ID: "m-in"}},
		Teams: []Team{
			{ID: "us-east", Manager: "m-east", Territory: &Territory{States: []string{"NY", "MA", "US-NJ", "ON"}}, Reps: []string{"east-1", "east-2", "east-3"}},
			{ID: "emea", Manager: "m-emea", Territory: &Territory{Regions: []string{"EMEA"}}, Reps: []string{"emea-1", "emea-2", "emea-3"}},
			{ID: "apac", Manager: "m-apac", Queue: "apac-overflow", Territory: &Territory{Countries: []string{"JP", "au", "SG"}}, Reps: []string{"apac-1", "apac-2", "apac-3"}},
			{ID: "enterprise", Manager: "m-ent", Assignment: AssignCapacity, Segment: &Segment{MinEmployees: 1000, Industries: []string{"Software", "saas"}}, Reps: []string{"ent-1", "ent-2", "ent-3"}},
			{ID: "inbound", Manager: "m-in", Reps: []string{"in-1", "in-2", "in-3"}},
		},
		Reps:     reps,
		Fallback: "inbound",
	}
}

// wed1500 is Wednesday 2025-06-11 15:00 UTC: 11:00 in New York, 16:00 in
// London, 17:00 in Berlin and Paris (after hours), midnight in Tokyo.
var wed1500 = time.Date(2025, 6, 11, 15, 0, 0, 0, time.UTC)

func mustRouter(tb testing.TB, cfg Config) *Router {
	tb.Helper()
	r, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return r
}

// withRep returns cfg with rep id changed by fn.
func withRep(cfg Config, id string, fn func(*Rep)) Config {
	reps := append([]Rep(nil), cfg.Reps...)
	for i := range reps {
		if reps[i].ID == id {
			fn(&reps[i])
		}
	}
	cfg.Reps = reps
	return cfg
}

func pto(from, to string) func(*Rep) {
	return func(r *Rep) { r.PTO = append(r.PTO, PTO{From: from, To: to}) }
}

func newLead(country, state string, employees int, industry, domain string) *lead.Lead {
	return &lead.Lead{ID: "l-1", Country: country, State: state, Employees: employees, Industry: industry, Domain: domain}
}
