package routing

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/leadflow/leadflow/shared/lead"
)

// outcome is the part of a Decision the table compares; Steps are reduced
// to "strategy+" (matched) or "strategy-" so the prose can change freely.
type outcome struct {
	Owner, Team, Queue, Rule, Manager string
	ManagerAlert, InHours             bool
	Steps                             []string
}

func outcomeOf(t *testing.T, d Decision) outcome {
	t.Helper()
	o := outcome{Owner: d.Owner, Team: d.Team, Queue: d.Queue, Rule: d.Rule, Manager: d.Manager, ManagerAlert: d.ManagerAlert, InHours: d.InHours}
	for _, s := range d.Steps {
		if s.Why == "" {
			t.Errorf("step %s has no explanation", s.Strategy)
		}
		mark := "-"
		if s.Matched {
			mark = "+"
		}
		o.Steps = append(o.Steps, s.Strategy+mark)
	}
	return o
}

func TestRoute(t *testing.T) {
	noPrior := []string{"named_account-", "account_owner-"}
	steps := func(last ...string) []string { return append(append([]string(nil), noPrior...), last...) }
	tests := []struct {
		name  string
		cfg   func(Config) Config
		in    Input
		loads MemLoads
		want  outcome
	}{
		{
			name: "named account goes to its owner",
			in:   Input{Lead: newLead("US", "NY", 50, "software", "bigco.example")},
			want: outcome{Owner: "ent-1", Team: "enterprise", Rule: "named_account", Manager: "m-ent", InHours: true, Steps: []string{"named_account+"}},
		},
		{
			name: "named account domain is normalised",
			in:   Input{Lead: newLead("US", "NY", 50, "software", "WWW.BigCo.example")},
			want: outcome{Owner: "ent-1", Team: "enterprise", Rule: "named_account", Manager: "m-ent", InHours: true, Steps: []string{"named_account+"}},
		},
		{
			name:  "named account owner on PTO: the owner's team takes it",
			cfg:   func(c Config) Config { return withRep(c, "ent-1", pto("2025-06-11", "2025-06-13")) },
			in:    Input{Lead: newLead("US", "NY", 50, "software", "bigco.example")},
			loads: MemLoads{"ent-2": 4, "ent-3": 3}, // ent-2 has weight 2: 4/2 < 3/1
			want:  outcome{Owner: "ent-2", Team: "enterprise", Rule: "named_account", Manager: "m-ent", InHours: true, Steps: []string{"named_account+"}},
		},
		{
			name:  "named account owner at capacity: the owner's team takes it",
			in:    Input{Lead: newLead("US", "NY", 50, "software", "bigco.example")},
			loads: MemLoads{"ent-1": 20},
			want:  outcome{Owner: "ent-2", Team: "enterprise", Rule: "named_account", Manager: "m-ent", InHours: true, Steps: []string{"named_account+"}},
		},
		{
			name: "named account owner in no team and on PTO falls through",
			cfg:  func(c Config) Config { return withRep(c, "solo", pto("2025-06-11", "")) },
			in:   Input{Lead: newLead("US", "NY", 50, "software", "solo.example")},
			want: outcome{Owner: "east-1", Team: "us-east", Rule: "territory", Manager: "m-east", InHours: true, Steps: steps("territory+")},
		},
		{
			name: "account owner keeps the account",
			in:   Input{Lead: newLead("US", "NY", 50, "software", "acme.example"), AccountOwner: "apac-2"},
			want: outcome{Owner: "apac-2", Team: "apac", Rule: "account_owner", Manager: "m-apac", InHours: false, Steps: []string{"named_account-", "account_owner+"}},
		},
		{
			name: "excluded account owner falls through",
			in:   Input{Lead: newLead("US", "NY", 50, "software", "acme.example"), AccountOwner: "east-1", Exclude: []string{"east-1"}},
			want: outcome{Owner: "east-2", Team: "us-east", Rule: "territory", Manager: "m-east", InHours: true, Steps: steps("territory+")},
		},
		{
			name: "account owner on PTO falls through",
			cfg:  func(c Config) Config { return withRep(c, "apac-2", pto("2025-06-12", "")) }, // Sydney is already on the 12th
			in:   Input{Lead: newLead("US", "NY", 50, "software", "acme.example"), AccountOwner: "apac-2"},
			want: outcome{Owner: "east-1", Team: "us-east", Rule: "territory", Manager: "m-east", InHours: true, Steps: steps("territory+")},
		},
		{
			name: "account owner no longer in the roster falls through",
			in:   Input{Lead: newLead("US", "NY", 50, "software", "acme.example"), AccountOwner: "gone"},
			want: outcome{Owner: "east-1", Team: "us-east", Rule: "territory", Manager: "m-east", InHours: true, Steps: steps("territory+")},
		},
		{
			name: "territory by US state",
			in:   Input{Lead: newLead("US", "MA", 0, "", "")},
			want: outcome{Owner: "east-1", Team: "us-east", Rule: "territory", Manager: "m-east", InHours: true, Steps: steps("territory+")},
		},
		{
			name: "territory by state written US-NJ in the config",
			in:   Input{Lead: newLead("US", "NJ", 0, "", "")},
			want: outcome{Owner: "east-1", Team: "us-east", Rule: "territory", Manager: "m-east", InHours: true, Steps: steps("territory+")},
		},
		{
			name: "territory by Canadian province",
			in:   Input{Lead: newLead("CA", "ON", 0, "", "")},
			want: outcome{Owner: "east-1", Team: "us-east", Rule: "territory", Manager: "m-east", InHours: true, Steps: steps("territory+")},
		},
		{
			name: "a state outside US/CA does not count",
			in:   Input{Lead: newLead("DE", "NY", 0, "", "")},
			want: outcome{Owner: "emea-1", Team: "emea", Rule: "territory", Manager: "m-emea", InHours: true, Steps: steps("territory+")},
		},
		{
			name: "territory by region: only London is in hours",
			in:   Input{Lead: newLead("FR", "", 0, "", "")},
			want: outcome{Owner: "emea-1", Team: "emea", Rule: "territory", Manager: "m-emea", InHours: true, Steps: steps("territory+")},
		},
		{
			name: "territory by country, nobody in hours: the soonest start (Sydney 08:30) gets it now",
			in:   Input{Lead: newLead("JP", "", 0, "", "")},
			want: outcome{Owner: "apac-2", Team: "apac", Rule: "territory", Manager: "m-apac", InHours: false, Steps: steps("territory+")},
		},
		{
			name: "territory by country listed in lower case",
			in:   Input{Lead: newLead("au", "", 0, "", "")},
			want: outcome{Owner: "apac-2", Team: "apac", Rule: "territory", Manager: "m-apac", InHours: false, Steps: steps("territory+")},
		},
		{
			name: "a territory team with a segment takes only leads in both",
			cfg:  withEMEAEnterprise,
			in:   Input{Lead: newLead("DE", "", 5000, "retail", "")},
			want: outcome{Owner: "emea-2", Team: "emea-ent", Rule: "territory", Manager: "m-emea", InHours: false, Steps: steps("territory+")},
		},
		{
			name: "outside that segment the next territory team matches",
			cfg:  withEMEAEnterprise,
			in:   Input{Lead: newLead("DE", "", 50, "retail", "")},
			want: outcome{Owner: "emea-1", Team: "emea", Rule: "territory", Manager: "m-emea", InHours: true, Steps: steps("territory+")},
		},
		{
			name: "segment by headcount and industry",
			in:   Input{Lead: newLead("BR", "", 5000, "saas", "")},
			want: outcome{Owner: "ent-1", Team: "enterprise", Rule: "segment", Manager: "m-ent", InHours: true, Steps: steps("territory-", "segment+")},
		},
		{
			name:  "segment with capacity weighting",
			in:    Input{Lead: newLead("BR", "", 5000, "software", "")},
			loads: MemLoads{"ent-1": 5, "ent-2": 9, "ent-3": 5}, // 5, 4.5, 5
			want:  outcome{Owner: "ent-2", Team: "enterprise", Rule: "segment", Manager: "m-ent", InHours: true, Steps: steps("territory-", "segment+")},
		},
		{
			name: "industry outside the segment falls back",
			in:   Input{Lead: newLead("BR", "", 5000, "retail", "")},
			want: outcome{Owner: "in-1", Team: "inbound", Rule: "fallback", Manager: "m-in", InHours: true, Steps: steps("territory-", "segment-", "fallback+")},
		},
		{
			name: "unknown headcount fits no employee range",
			in:   Input{Lead: newLead("BR", "", 0, "software", "")},
			want: outcome{Owner: "in-1", Team: "inbound", Rule: "fallback", Manager: "m-in", InHours: true, Steps: steps("territory-", "segment-", "fallback+")},
		},
		{
			name: "nil lead goes to the fallback team",
			in:   Input{},
			want: outcome{Owner: "in-1", Team: "inbound", Rule: "fallback", Manager: "m-in", InHours: true, Steps: steps("territory-", "segment-", "fallback+")},
		},
		{
			name: "a rep on PTO is skipped",
			cfg:  func(c Config) Config { return withRep(c, "east-1", pto("2025-06-10", "2025-06-11")) },
			in:   Input{Lead: newLead("US", "NY", 0, "", "")},
			want: outcome{Owner: "east-2", Team: "us-east", Rule: "territory", Manager: "m-east", InHours: true, Steps: steps("territory+")},
		},
		{
			name: "nobody available: team queue and manager alert",
			cfg: func(c Config) Config {
				c = withRep(c, "apac-1", pto("2025-06-01", "2025-06-30"))
				return withRep(c, "apac-2", func(r *Rep) { r.Capacity = 3 })
			},
			in:    Input{Lead: newLead("SG", "", 0, "", ""), Exclude: []string{"apac-3"}},
			loads: MemLoads{"apac-2": 3},
			want:  outcome{Team: "apac", Queue: "apac-overflow", Rule: "territory", Manager: "m-apac", ManagerAlert: true, Steps: steps("territory+")},
		},
		{
			name: "default queue name",
			cfg: func(c Config) Config {
				return withRep(c, "in-1", func(r *Rep) { r.Capacity = 1 })
			},
			in:    Input{Exclude: []string{"in-2", "in-3"}},
			loads: MemLoads{"in-1": 1},
			want:  outcome{Team: "inbound", Queue: "inbound-queue", Rule: "fallback", Manager: "m-in", ManagerAlert: true, Steps: steps("territory-", "segment-", "fallback+")},
		},
		{
			name: "order from the config: territory before named accounts",
			cfg: func(c Config) Config {
				c.Order = []string{"territory", "named_account"}
				return c
			},
			in:   Input{Lead: newLead("US", "NY", 0, "", "bigco.example")},
			want: outcome{Owner: "east-1", Team: "us-east", Rule: "territory", Manager: "m-east", InHours: true, Steps: []string{"territory+"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := demoConfig()
			if tc.cfg != nil {
				cfg = tc.cfg(cfg)
			}
			r := mustRouter(t, cfg)
			in := tc.in
			in.Now = wed1500
			d := r.Route(in, &MemCounters{}, tc.loads)
			if diff := cmp.Diff(tc.want, outcomeOf(t, d)); diff != "" {
				t.Errorf("Route (-want +got):\n%s\n%s", diff, strings.Join(d.Explain(), "\n"))
			}
		})
	}
}

// withEMEAEnterprise puts a team for EMEA leads of 1,000+ employees before
// the emea team; its one rep, emea-2, stays in emea too.
func withEMEAEnterprise(c Config) Config {
	ent := Team{ID: "emea-ent", Manager: "m-emea", Territory: &Territory{Regions: []string{"EMEA"}}, Segment: &Segment{MinEmployees: 1000}, Reps: []string{"emea-2"}}
	c.Teams = append([]Team{ent}, c.Teams...)
	return c
}

// TestRoundRobinFairness routes 1,000 leads at once against one team: the
// shared atomic counter spreads them 334/333/333.
func TestRoundRobinFairness(t *testing.T) {
	r := mustRouter(t, demoConfig())
	var c MemCounters
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() {
			d := r.Route(Input{Lead: newLead("US", "NY", 0, "", ""), Now: wed1500}, &c, nil)
			mu.Lock()
			got[d.Owner]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(got) != 3 {
		t.Fatalf("owners = %v, want the 3 us-east reps", got)
	}
	for rep, n := range got {
		if n != 333 && n != 334 {
			t.Errorf("%s got %d leads, want 333 or 334 (all: %v)", rep, n, got)
		}
	}
}

// TestBackFromPTONotFlooded: while east-1 is away the other two share the
// leads; once back, east-1 gets a third like everyone, not a catch-up.
func TestBackFromPTONotFlooded(t *testing.T) {
	r := mustRouter(t, withRep(demoConfig(), "east-1", pto("2025-06-09", "2025-06-11")))
	var c MemCounters
	route := func(now time.Time, n int) map[string]int {
		t.Helper()
		got := map[string]int{}
		for range n {
			got[r.Route(Input{Lead: newLead("US", "NY", 0, "", ""), Now: now}, &c, nil).Owner]++
		}
		return got
	}
	away := route(wed1500, 300)
	back := route(wed1500.AddDate(0, 0, 1), 300)
	if diff := cmp.Diff(map[string]int{"east-2": 150, "east-3": 150}, away); diff != "" {
		t.Errorf("during PTO (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"east-1": 100, "east-2": 100, "east-3": 100}, back); diff != "" {
		t.Errorf("after PTO (-want +got):\n%s", diff)
	}
}

// TestEditingTeamKeepsPositions: a new router from an edited team reads the
// same counter, so the rotation continues instead of restarting at the
// first rep.
func TestEditingTeamKeepsPositions(t *testing.T) {
	cfg := demoConfig()
	var c MemCounters
	in := Input{Lead: newLead("US", "NY", 0, "", ""), Now: wed1500}
	before := mustRouter(t, cfg)
	var owners []string
	for range 4 {
		owners = append(owners, before.Route(in, &c, nil).Owner)
	}
	cfg.Reps = append(cfg.Reps, Rep{ID: "east-4", TimeZone: "America/New_York"})
	cfg.Teams[0].Reps = append(cfg.Teams[0].Reps, "east-4")
	after := mustRouter(t, cfg)
	for range 4 {
		owners = append(owners, after.Route(in, &c, nil).Owner)
	}
	want := []string{"east-1", "east-2", "east-3", "east-1", "east-1", "east-2", "east-3", "east-4"}
	if diff := cmp.Diff(want, owners); diff != "" {
		t.Errorf("owners (-want +got):\n%s", diff)
	}
}

// TestCapacityAssignment covers weights, limits and deterministic ties.
func TestCapacityAssignment(t *testing.T) {
	tests := []struct {
		name  string
		loads MemLoads
		want  string
	}{
		{"all empty: first in team order", nil, "ent-1"},
		{"fewest open leads", MemLoads{"ent-1": 3, "ent-2": 8, "ent-3": 2}, "ent-3"},
		{"weight 2 halves the load", MemLoads{"ent-1": 3, "ent-2": 5, "ent-3": 3}, "ent-2"},
		{"tie on load per weight: team order", MemLoads{"ent-1": 4, "ent-2": 8, "ent-3": 4}, "ent-1"},
		{"at capacity is skipped even when lightest by weight", MemLoads{"ent-1": 19, "ent-2": 20, "ent-3": 19}, "ent-1"},
	}
	r := mustRouter(t, demoConfig())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := r.Route(Input{Lead: newLead("", "", 2000, "software", ""), Now: wed1500}, &MemCounters{}, tc.loads)
			if d.Owner != tc.want {
				t.Errorf("owner = %q, want %q\n%s", d.Owner, tc.want, strings.Join(d.Explain(), "\n"))
			}
		})
	}
}

// TestOutsideHours: with nobody in hours the lead still gets an owner now,
// the rep who starts soonest, PTO days and days off skipped, ties rotated.
func TestOutsideHours(t *testing.T) {
	cfg := demoConfig()
	// Friday 2025-06-13 23:00 UTC: Saturday 08:00 in Tokyo, 09:00 in
	// Sydney, 07:00 in Singapore (which works Saturdays, from 09:00).
	fri := time.Date(2025, 6, 13, 23, 0, 0, 0, time.UTC)
	wed1000 := time.Date(2025, 6, 11, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		cfg  Config
		now  time.Time
		want []string // owners of consecutive leads
	}{
		{"soonest start wins", cfg, wed1500, []string{"apac-2", "apac-2"}},
		{"days off are skipped", cfg, fri, []string{"apac-3", "apac-3"}},
		// Wednesday 10:00 UTC: evening everywhere in APAC; Sydney would
		// start first (Thursday 08:30) but is away on Thursday.
		{"PTO days are skipped", withRep(cfg, "apac-2", pto("2025-06-12", "2025-06-12")), wed1000, []string{"apac-1", "apac-1"}},
		{"without PTO Sydney starts first", cfg, wed1000, []string{"apac-2", "apac-2"}},
		{"ties rotate", withRep(cfg, "apac-2", func(r *Rep) { r.TimeZone = "Asia/Tokyo"; r.Hours = "09:00-18:00" }), wed1500, []string{"apac-1", "apac-2", "apac-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRouter(t, tc.cfg)
			var c MemCounters
			var got []string
			for range tc.want {
				d := r.Route(Input{Lead: newLead("JP", "", 0, "", ""), Now: tc.now}, &c, nil)
				if d.InHours || d.Queue != "" {
					t.Errorf("InHours = %v, Queue = %q; want an owner outside hours", d.InHours, d.Queue)
				}
				got = append(got, d.Owner)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("owners (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPTOInRepTimeZone: PTO dates are inclusive and read in the rep's zone.
func TestPTOInRepTimeZone(t *testing.T) {
	// 2025-06-11 23:30 UTC is already the 12th in Tokyo, still the 11th in
	// New York.
	now := time.Date(2025, 6, 11, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		rep, zone, from, to string
		want                bool
	}{
		{"in-1", "Asia/Tokyo", "2025-06-12", "2025-06-12", true},
		{"in-1", "America/New_York", "2025-06-12", "2025-06-12", false},
		{"in-1", "America/New_York", "2025-06-01", "2025-06-11", true},
		{"in-1", "Asia/Tokyo", "2025-06-01", "2025-06-11", false},
		{"in-1", "UTC", "2025-06-11", "", true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %s..%s", tc.zone, tc.from, tc.to), func(t *testing.T) {
			cfg := withRep(demoConfig(), tc.rep, func(r *Rep) { r.TimeZone = tc.zone; r.PTO = []PTO{{From: tc.from, To: tc.to}} })
			r := mustRouter(t, cfg)
			d := r.Route(Input{AccountOwner: tc.rep, Now: now}, &MemCounters{}, nil)
			if got := d.Rule != StrategyAccountOwner; got != tc.want {
				t.Errorf("on PTO = %v, want %v\n%s", got, tc.want, strings.Join(d.Explain(), "\n"))
			}
		})
	}
}

// TestSLAReassignmentExcludesOwner: re-routing with the current owner
// excluded picks another rep, even when the counter would land on them.
func TestSLAReassignmentExcludesOwner(t *testing.T) {
	r := mustRouter(t, demoConfig())
	for _, owner := range []string{"east-1", "east-2", "east-3"} {
		t.Run(owner, func(t *testing.T) {
			for n := range 3 {
				var c MemCounters
				for range n {
					c.Next("us-east")
				}
				d := r.Route(Input{Lead: newLead("US", "NY", 0, "", ""), AccountOwner: owner, Now: wed1500, Exclude: []string{owner}}, &c, nil)
				if d.Owner == owner || d.Owner == "" || d.Team != "us-east" {
					t.Errorf("counter at %d: owner %q team %q, want another us-east rep", n, d.Owner, d.Team)
				}
			}
		})
	}
}

// TestDeterministic: the same input and counter values give the same
// decision, explanation included.
func TestDeterministic(t *testing.T) {
	r := mustRouter(t, demoConfig())
	in := Input{Lead: newLead("JP", "", 0, "", "acme.example"), AccountOwner: "gone", Now: wed1500}
	first := r.Route(in, &MemCounters{}, MemLoads{"apac-1": 2})
	for range 20 {
		if diff := cmp.Diff(first, r.Route(in, &MemCounters{}, MemLoads{"apac-1": 2})); diff != "" {
			t.Fatalf("decision changed (-first +now):\n%s", diff)
		}
	}
}

func TestExplain(t *testing.T) {
	cfg := withRep(demoConfig(), "apac-1", pto("2025-06-11", "2025-06-12"))
	r := mustRouter(t, cfg)
	tests := []struct {
		name string
		in   Input
		want []string
	}{
		{
			name: "fall-through to territory outside hours",
			in:   Input{Lead: newLead("JP", "", 0, "", "acme.example"), AccountOwner: "gone", Now: wed1500},
			want: []string{
				"named_account: no match: domain acme.example is not a named account",
				"account_owner: no match: account owner gone is not in the roster",
				"territory: matched: country JP is in team apac's territory; no eligible rep in working hours; round_robin among the 1 of 2 eligible reps starting soonest (in 7h30m), 1 of 3 reps unavailable → apac-2",
				"owner apac-2 (outside working hours), team apac, rule territory",
			},
		},
		{
			name: "queue",
			in:   Input{Lead: newLead("JP", "", 0, "", ""), Now: wed1500, Exclude: []string{"apac-2", "apac-3"}},
			want: []string{
				"named_account: no match: lead has no company domain",
				"account_owner: no match: the account has no owner yet",
				"territory: matched: country JP is in team apac's territory; all 3 reps unavailable (apac-1 on PTO, apac-2 excluded, apac-3 excluded); queue apac-overflow, manager m-apac alerted",
				"queue apac-overflow, team apac, manager m-apac alerted, rule territory",
			},
		},
		{
			name: "fallback",
			in:   Input{Lead: &lead.Lead{Country: "BR", Employees: 10, Industry: "retail"}, Now: wed1500},
			want: []string{
				"named_account: no match: lead has no company domain",
				"account_owner: no match: the account has no owner yet",
				"territory: no match: no team's territory covers country BR, state -, region LATAM",
				"segment: no match: no team's segment fits 10 employees, industry retail",
				"fallback: matched: no earlier rule decided; fallback team inbound: round_robin among 3 of 3 eligible reps in working hours → in-1",
				"owner in-1 (in working hours), team inbound, rule fallback",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, r.Route(tc.in, &MemCounters{}, nil).Explain()); diff != "" {
				t.Errorf("Explain (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAccessors(t *testing.T) {
	r := mustRouter(t, demoConfig())
	type got struct {
		Rep, Team, Manager, TeamOf string
		OK                         [4]bool
	}
	tests := []struct {
		id   string
		want got
	}{
		{"apac-2", got{Rep: "apac-2", TeamOf: "apac", OK: [4]bool{true, false, false, true}}},
		{"solo", got{Rep: "solo", OK: [4]bool{true, false, false, false}}},
		{"apac", got{Team: "apac", OK: [4]bool{false, true, false, false}}},
		{"m-ent", got{Manager: "m-ent", OK: [4]bool{false, false, true, false}}},
		{"nobody", got{}},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			var g got
			var rep Rep
			var team, of Team
			var m Manager
			rep, g.OK[0] = r.Rep(tc.id)
			team, g.OK[1] = r.Team(tc.id)
			m, g.OK[2] = r.Manager(tc.id)
			of, g.OK[3] = r.TeamOf(tc.id)
			g.Rep, g.Team, g.Manager, g.TeamOf = rep.ID, team.ID, m.ID, of.ID
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if q := func() string { tm, _ := r.Team("inbound"); return tm.Queue }(); q != "inbound-queue" {
		t.Errorf("default queue = %q, want inbound-queue", q)
	}
	// A rep in two teams belongs, for TeamOf, to the first in config order.
	if tm, _ := mustRouter(t, withEMEAEnterprise(demoConfig())).TeamOf("emea-2"); tm.ID != "emea-ent" {
		t.Errorf("TeamOf(emea-2) = %q, want emea-ent", tm.ID)
	}
}
