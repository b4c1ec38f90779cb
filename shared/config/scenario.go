package config

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/routing"
)

// Scenario is an example lead with the outcome the rules must produce: the
// config's own tests, run by `leadflow test`.
type Scenario struct {
	Name string
	// At is the scenario's clock; zero means the time RunScenarios gets.
	At time.Time
	// Form is the form the lead submitted at At: its field map applies to
	// Fields and a form_submit activity is added at age 0.
	Form string
	// Lead is the normalised lead built from the scenario's fields, in the
	// scenario's start stage (new unless it says otherwise).
	Lead         *lead.Lead
	Account      *lead.Account // nil: unknown
	AccountOwner string
	Activities   []ScenarioActivity
	Expect       Expectation
}

// ScenarioActivity is an activity Age before the scenario's clock.
type ScenarioActivity struct {
	Type lead.ActivityType
	URL  string
	Form string
	Age  time.Duration
}

// Expectation is what a scenario checks; nil fields are not checked.
type Expectation struct {
	Stage   lead.Stage
	Total   *float64
	Fit     *float64
	Intent  *float64
	Reasons *[]string // the exact set of reason codes
	Routing *ExpectedRoute
}

// ExpectedRoute is the routing decision a scenario expects; all fields are
// compared, so `routing: {}` asserts the lead was not routed.
type ExpectedRoute struct {
	Team  string `yaml:"team"`
	Owner string `yaml:"owner"`
	Queue string `yaml:"queue"`
	Rule  string `yaml:"rule"`
}

// Outcome is what the config decides for one lead at one time, without any
// store: its score, the stage that score earns and, on sql, the routing
// decision.
type Outcome struct {
	Score    lead.Score
	Stage    lead.Stage
	Cause    string            // why the stage changed; "" when it did not
	Decision *routing.Decision // nil unless the lead was routed now
}

// Evaluate scores a lead, decides its next stage and routes it when it
// reaches sql unrouted, with fresh in-memory rotation counters and no open
// leads: a dry run of the pipeline's decisions. a may be nil. It never
// fails: a rule that errs at run time shows as a zero-point reason.
func (c *Config) Evaluate(l *lead.Lead, a *lead.Account, acts []lead.Activity, accountOwner string, now time.Time) Outcome {
	s := c.Scoring.Score(l, a, acts, now)
	cur := l.Stage
	if cur == "" {
		cur = lead.StageNew
	}
	o := Outcome{Score: s, Stage: cur}
	o.Stage, o.Cause = c.Scoring.NextStage(cur, s, l.Routed(), acts, now)
	if o.Stage == lead.StageSQL && !l.Routed() {
		d := c.Routing.Route(routing.Input{Lead: l, AccountOwner: accountOwner, Now: now}, &routing.MemCounters{}, routing.MemLoads{})
		o.Decision = &d
	}
	return o
}

// ScenarioResult is the verdict on one scenario.
type ScenarioResult struct {
	Name    string
	Passed  bool
	Diff    string // want → got, in go-cmp's notation; "" when passed
	Outcome Outcome
}

// checked is the comparable part of an outcome.
type checked struct {
	Stage   lead.Stage
	Total   float64
	Fit     float64
	Intent  float64
	Reasons []string
	Routing ExpectedRoute
}

// RunScenarios runs every scenario of the config; now is the clock of
// scenarios without their own.
func RunScenarios(c *Config, now time.Time) []ScenarioResult {
	out := make([]ScenarioResult, 0, len(c.Scenarios))
	for _, sc := range c.Scenarios {
		out = append(out, c.runScenario(sc, now))
	}
	return out
}

func (c *Config) runScenario(sc Scenario, now time.Time) ScenarioResult {
	if !sc.At.IsZero() {
		now = sc.At
	}
	l := *sc.Lead
	acts := make([]lead.Activity, 0, len(sc.Activities)+1)
	if sc.Form != "" {
		acts = append(acts, lead.Activity{ID: "form", Type: lead.ActivityFormSubmit, Form: sc.Form, OccurredAt: now})
	}
	for i, a := range sc.Activities {
		acts = append(acts, lead.Activity{ID: fmt.Sprintf("a%d", i), Type: a.Type, URL: a.URL, Form: a.Form, OccurredAt: now.Add(-a.Age)})
	}
	o := c.Evaluate(&l, sc.Account, acts, sc.AccountOwner, now)

	got := checked{Stage: o.Stage, Total: o.Score.Total, Fit: o.Score.Fit, Intent: o.Score.Intent}
	for _, r := range o.Score.Reasons {
		got.Reasons = append(got.Reasons, r.Code)
	}
	sort.Strings(got.Reasons)
	if d := o.Decision; d != nil {
		got.Routing = ExpectedRoute{Team: d.Team, Owner: d.Owner, Queue: d.Queue, Rule: d.Rule}
	}
	want := got
	e := sc.Expect
	if e.Stage != "" {
		want.Stage = e.Stage
	}
	for _, f := range []struct {
		exp *float64
		dst *float64
	}{{e.Total, &want.Total}, {e.Fit, &want.Fit}, {e.Intent, &want.Intent}} {
		if f.exp != nil {
			*f.dst = *f.exp
		}
	}
	if e.Reasons != nil {
		want.Reasons = append([]string(nil), *e.Reasons...)
		sort.Strings(want.Reasons)
	}
	if e.Routing != nil {
		want.Routing = *e.Routing
	}
	diff := want.diff(got)
	return ScenarioResult{Name: sc.Name, Passed: diff == "", Diff: diff, Outcome: o}
}

// diff lists, one line each, the checked values of got that differ from c,
// the expectation: "stage: want sql, got mql".
func (c checked) diff(got checked) string {
	var b strings.Builder
	line := func(what string, want, got any) { fmt.Fprintf(&b, "%s: want %v, got %v\n", what, want, got) }
	if c.Stage != got.Stage {
		line("stage", c.Stage, got.Stage)
	}
	for _, f := range []struct {
		name      string
		want, got float64
	}{{"total", c.Total, got.Total}, {"fit", c.Fit, got.Fit}, {"intent", c.Intent, got.Intent}} {
		if math.Abs(f.want-f.got) > 1e-9 {
			line(f.name, f.want, f.got)
		}
	}
	if !slices.Equal(c.Reasons, got.Reasons) {
		line("reasons", c.Reasons, got.Reasons)
	}
	for _, f := range [][3]string{
		{"team", c.Routing.Team, got.Routing.Team}, {"owner", c.Routing.Owner, got.Routing.Owner},
		{"queue", c.Routing.Queue, got.Routing.Queue}, {"rule", c.Routing.Rule, got.Routing.Rule},
	} {
		if f[1] != f[2] {
			line("routing."+f[0], fmt.Sprintf("%q", f[1]), fmt.Sprintf("%q", f[2]))
		}
	}
	return b.String()
}

func (b *builder) scenarios() {
	names := map[string]bool{}
	codes := map[string]bool{}
	for _, r := range b.raw.Scoring.Rules {
		codes[r.Code] = true
	}
	for i, rs := range b.raw.Scenarios {
		p := fmt.Sprintf("scenarios[%d]", i)
		switch {
		case rs.Name == "":
			b.ix.at(p+".name", "missing")
		case names[rs.Name]:
			b.ix.at(p+".name", "duplicate scenario name")
		}
		names[rs.Name] = true
		sc := Scenario{Name: rs.Name, Form: rs.Form, AccountOwner: rs.AccountOwner}
		if rs.At != "" {
			at, err := time.Parse(time.RFC3339, rs.At)
			if err != nil {
				b.ix.at(p+".at", "bad time %q: want RFC 3339, e.g. 2025-06-03T15:00:00Z", rs.At)
			}
			sc.At = at
		}
		fields, known := rs.Fields, true
		if rs.Form != "" {
			f, ok := b.c.Forms[rs.Form]
			if !ok {
				b.ix.at(p+".form", "unknown form %q", rs.Form)
			} else {
				fields = f.Canonical(fields)
			}
			known = ok
		}
		l, err := lead.Parse(fields)
		if !known {
			// Unmapped fields would only add echoes of the unknown form.
			l, err = &lead.Lead{Stage: lead.StageNew}, nil
		}
		if err != nil {
			field, msg := "", err.Error()
			if le, ok := err.(*lead.Error); ok && le.Field != "" {
				field, msg = "."+le.Field, le.Message
			}
			b.ix.at(p+".fields"+field, "%s", msg)
			l = &lead.Lead{Stage: lead.StageNew}
		}
		if rs.Stage != "" {
			l.Stage = lead.Stage(rs.Stage)
			if !l.Stage.Valid() {
				b.ix.at(p+".stage", "unknown stage %q", rs.Stage)
			}
		}
		sc.Lead = l
		if ra := rs.Account; ra != nil {
			sc.Account = &lead.Account{Domain: l.Domain, Name: ra.Name, Industry: strings.ToLower(ra.Industry), Employees: ra.Employees, Country: ra.Country, Tech: ra.Tech}
		}
		for j, ra := range rs.Activities {
			sc.Activities = append(sc.Activities, b.scenarioActivity(fmt.Sprintf("%s.activities[%d]", p, j), ra))
		}
		sc.Expect = b.expectation(p+".expect", rs.Expect, codes)
		b.c.Scenarios = append(b.c.Scenarios, sc)
	}
}

func (b *builder) scenarioActivity(p string, ra rawActivity) ScenarioActivity {
	a := ScenarioActivity{Type: lead.ActivityType(ra.Type), URL: ra.URL, Form: ra.Form, Age: b.duration(p+".age", ra.Age)}
	if a.Type != lead.ActivityFormSubmit && !contains(lead.ActivityTypes, a.Type) {
		b.ix.at(p+".type", "unknown activity type %q", ra.Type)
	}
	if ra.Form != "" {
		if _, ok := b.c.Forms[ra.Form]; !ok {
			b.ix.at(p+".form", "unknown form %q", ra.Form)
		}
	}
	if ra.DaysAgo != nil {
		if ra.Age != "" {
			b.ix.at(p, "give age or days_ago, not both")
		}
		if *ra.DaysAgo < 0 {
			b.ix.at(p+".days_ago", "must not be negative")
		}
		a.Age = time.Duration(*ra.DaysAgo) * 24 * time.Hour
	}
	return a
}

func (b *builder) expectation(p string, re rawExpect, codes map[string]bool) Expectation {
	e := Expectation{Stage: lead.Stage(re.Stage), Total: re.Total, Fit: re.Fit, Intent: re.Intent, Reasons: re.Reasons, Routing: re.Routing}
	if re.Stage != "" && !e.Stage.Valid() {
		b.ix.at(p+".stage", "unknown stage %q", re.Stage)
	}
	if re.Reasons != nil {
		for j, c := range *re.Reasons {
			if !codes[c] {
				b.ix.at(fmt.Sprintf("%s.reasons[%d]", p, j), "unknown reason code %q", c)
			}
		}
	}
	if r := re.Routing; r != nil {
		rc := b.raw.Routing
		if r.Team != "" && !contains(teamIDs(rc), r.Team) {
			b.ix.at(p+".routing.team", "unknown team %q", r.Team)
		}
		if r.Owner != "" && !contains(repIDs(rc), r.Owner) {
			b.ix.at(p+".routing.owner", "unknown rep %q", r.Owner)
		}
	}
	return e
}

func teamIDs(rc routing.Config) []string {
	ids := make([]string, len(rc.Teams))
	for i, t := range rc.Teams {
		ids[i] = t.ID
	}
	return ids
}

func repIDs(rc routing.Config) []string {
	ids := make([]string, len(rc.Reps))
	for i, r := range rc.Reps {
		ids[i] = r.ID
	}
	return ids
}
