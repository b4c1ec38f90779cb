package scoring_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
	"testing/quick"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
)

var now = time.Date(2025, 6, 3, 15, 0, 0, 0, time.UTC)

// reference returns the shipped default config's model: SPEC §5.
func reference(tb testing.TB) *scoring.Model {
	tb.Helper()
	cfg, err := configfile.Default(celrules.Compile)
	if err != nil {
		tb.Fatalf("default config: %v", err)
	}
	return cfg.Scoring
}

func parseLead(tb testing.TB, fields map[string]string) *lead.Lead {
	tb.Helper()
	if fields["email"] == "" {
		fields["email"] = "pat@acme-widgets.com"
	}
	l, err := lead.Parse(fields)
	if err != nil {
		tb.Fatalf("parse lead %v: %v", fields, err)
	}
	return l
}

// act builds an activity ageDays before now.
func act(t lead.ActivityType, ageDays float64, opt ...string) lead.Activity {
	a := lead.Activity{ID: fmt.Sprintf("%s-%g", t, ageDays), Type: t, OccurredAt: now.Add(-time.Duration(ageDays * float64(24*time.Hour)))}
	for _, o := range opt {
		if t == lead.ActivityFormSubmit {
			a.Form = o
		} else {
			a.URL = o
		}
	}
	return a
}

func repeat(n int, f func(i int) lead.Activity) []lead.Activity {
	out := make([]lead.Activity, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

type pts struct {
	Code   string
	Points float64
}

func reasonPoints(s lead.Score) []pts {
	out := []pts{}
	for _, r := range s.Reasons {
		out = append(out, pts{r.Code, r.Points})
	}
	return out
}

func TestReferenceModel(t *testing.T) {
	m := reference(t)
	tests := []struct {
		name   string
		fields map[string]string
		acts   []lead.Activity
		want   []pts
	}{
		{"icp_title VP Sales", map[string]string{"title": "VP of Sales"}, nil, []pts{{"icp_title", 15}}},
		{"icp_title Head of Marketing", map[string]string{"title": "Head of Marketing"}, nil, []pts{{"icp_title", 15}}},
		{"icp_title Director RevOps", map[string]string{"title": "Director, RevOps"}, nil, []pts{{"icp_title", 15}}},
		{"icp_title CRO", map[string]string{"title": "Chief Revenue Officer"}, nil, []pts{{"icp_title", 15}}},
		{"icp_title VP Growth", map[string]string{"title": "VP Growth"}, nil, []pts{{"icp_title", 15}}},
		{"not icp: manager", map[string]string{"title": "Sales Manager"}, nil, []pts{}},
		{"not icp: VP Engineering", map[string]string{"title": "VP Engineering"}, nil, []pts{}},
		{"icp_headcount 50", map[string]string{"employees": "50"}, nil, []pts{{"icp_headcount", 10}}},
		{"icp_headcount 5000", map[string]string{"employees": "5000"}, nil, []pts{{"icp_headcount", 10}}},
		{"headcount 49", map[string]string{"employees": "49"}, nil, []pts{}},
		{"headcount 5001", map[string]string{"employees": "5001"}, nil, []pts{}},
		{"industry out of coverage", map[string]string{"industry": "Healthcare"}, nil, []pts{{"industry_out_of_coverage", -20}}},
		{"industry covered", map[string]string{"industry": "Financial Services"}, nil, []pts{}},
		{"industry unknown", map[string]string{}, nil, []pts{}},
		{"free-mail", map[string]string{"email": "pat@gmail.com"}, nil, []pts{{"non_business_email", -10}}},
		{"disposable", map[string]string{"email": "pat@mailinator.com"}, nil, []pts{{"non_business_email", -10}}},
		{"6 opens count 5", nil, repeat(6, func(i int) lead.Activity { return act(lead.ActivityEmailOpen, float64(i)) }), []pts{{"email_open", 10}}},
		{"6 clicks count 5", nil, repeat(6, func(i int) lead.Activity { return act(lead.ActivityEmailClick, float64(i)) }), []pts{{"email_click", 25}}},
		{"pricing once", nil, []lead.Activity{act(lead.ActivityPageView, 1, "https://x.example/pricing"), act(lead.ActivityPageView, 2, "https://x.example/pricing/teams")}, []pts{{"pricing_page", 10}}},
		{"pricing in query only", nil, []lead.Activity{act(lead.ActivityPageView, 1, "https://x.example/blog?next=/pricing")}, []pts{}},
		{"demo page once", nil, []lead.Activity{act(lead.ActivityPageView, 1, "https://x.example/demo")}, []pts{}},
		{"demo page twice", nil, []lead.Activity{act(lead.ActivityPageView, 1, "https://x.example/demo"), act(lead.ActivityPageView, 3, "https://x.example/demo?b")}, []pts{{"demo_page_repeat", 20}}},
		{"demo request", nil, []lead.Activity{act(lead.ActivityFormSubmit, 0, "demo-request"), act(lead.ActivityFormSubmit, 1, "demo-request")}, []pts{{"demo_request", 30}}},
		{"other form", nil, []lead.Activity{act(lead.ActivityFormSubmit, 0, "contact-us")}, []pts{}},
		{"4 webinars count 3", nil, repeat(4, func(i int) lead.Activity { return act(lead.ActivityWebinarAttended, float64(i)) }), []pts{{"webinar_attended", 30}}},
		{"4 downloads count 3", nil, repeat(4, func(i int) lead.Activity { return act(lead.ActivityContentDownload, float64(i)) }), []pts{{"content_download", 15}}},
		{"unsubscribed long ago", nil, []lead.Activity{act(lead.ActivityUnsubscribe, 200)}, []pts{{"unsubscribed", -10}}},
		{"bounced long ago", nil, []lead.Activity{act(lead.ActivityEmailBounce, 120)}, []pts{{"email_bounced", -15}}},
		{"reply scores nothing", nil, []lead.Activity{act(lead.ActivityEmailReply, 1)}, []pts{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fields := map[string]string{}
			for k, v := range tc.fields {
				fields[k] = v
			}
			s := m.Score(parseLead(t, fields), nil, tc.acts, now)
			if diff := cmp.Diff(tc.want, reasonPoints(s)); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReferenceLayers(t *testing.T) {
	s := reference(t).Score(parseLead(t, map[string]string{"title": "VP Sales", "employees": "300"}), nil,
		[]lead.Activity{act(lead.ActivityFormSubmit, 0, "demo-request"), act(lead.ActivityUnsubscribe, 0)}, now)
	got := []float64{s.Total, s.Fit, s.Intent, s.Timing}
	if diff := cmp.Diff([]float64{45, 25, 20, 0}, got); diff != "" {
		t.Errorf("total, fit, intent, timing (-want +got):\n%s", diff)
	}
	if s.ConfigVersion == "" || !s.At.Equal(now) {
		t.Errorf("score version %q at %v, want the config version at %v", s.ConfigVersion, s.At, now)
	}
}

func TestDecay(t *testing.T) {
	m := reference(t)
	tests := []struct {
		days float64
		want float64 // of a 5-point click
	}{
		{0, 5}, {29, 5}, {29.99, 5}, {30, 2.5}, {40, 2.5}, {59, 2.5}, {60, 1.25}, {89, 1.25}, {89.99, 1.25}, {90, 0}, {400, 0}, {-1, 5},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%gd", tc.days), func(t *testing.T) {
			s := m.Score(parseLead(t, map[string]string{}), nil, []lead.Activity{act(lead.ActivityEmailClick, tc.days)}, now)
			if s.Total != tc.want {
				t.Errorf("click %g days old counts %g, want %g", tc.days, s.Total, tc.want)
			}
		})
	}
}

func TestCapsKeepTheMostRecent(t *testing.T) {
	m := reference(t)
	// Six clicks, given oldest first: the five most recent count (0, 10, 20
	// at full, 30 and 40 at half); the 50-day-old one is left out.
	acts := repeat(6, func(i int) lead.Activity { return act(lead.ActivityEmailClick, float64(50-10*i)) })
	want := []lead.Reason{{Code: "email_click", Points: 20, Layer: lead.LayerIntent, Count: 5, Detail: "decayed"}}
	if diff := cmp.Diff(want, m.Score(parseLead(t, map[string]string{}), nil, acts, now).Reasons); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
}

func TestMinCountDecaysWithTheNthMostRecent(t *testing.T) {
	m := reference(t)
	demo := func(days float64) lead.Activity { return act(lead.ActivityPageView, days, "https://x.example/demo") }
	tests := []struct {
		name string
		acts []lead.Activity
		want []pts
	}{
		{"both fresh", []lead.Activity{demo(1), demo(2)}, []pts{{"demo_page_repeat", 20}}},
		{"second at 40 days", []lead.Activity{demo(1), demo(40)}, []pts{{"demo_page_repeat", 10}}},
		{"third ignored", []lead.Activity{demo(100), demo(1), demo(40)}, []pts{{"demo_page_repeat", 10}}},
		{"second outside the window", []lead.Activity{demo(1), demo(95)}, []pts{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := reasonPoints(m.Score(parseLead(t, map[string]string{}), nil, tc.acts, now))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMissingFitData(t *testing.T) {
	m := reference(t)
	l := parseLead(t, map[string]string{"email": "ops@quarry-labs.com"})
	acts := []lead.Activity{
		act(lead.ActivityFormSubmit, 0, "demo-request"),
		act(lead.ActivityWebinarAttended, 1), act(lead.ActivityWebinarAttended, 2), act(lead.ActivityWebinarAttended, 3),
		act(lead.ActivityPageView, 1, "https://x.example/pricing"),
		act(lead.ActivityPageView, 1, "https://x.example/demo"), act(lead.ActivityPageView, 2, "https://x.example/demo"),
	}
	s := m.Score(l, nil, acts, now)
	if s.Fit != 0 || s.Intent != 90 || s.Total != 90 {
		t.Fatalf("score = total %g fit %g intent %g, want 90/0/90: unknown fit must neither zero nor penalise", s.Total, s.Fit, s.Intent)
	}
	stage, cause := m.NextStage(lead.StageNew, s, false, acts, now)
	if stage != lead.StageMQL || cause != "score 90 ≥ mql 60" {
		t.Errorf("intent-only lead went to %s (%q), want mql: qualification, not an AE", stage, cause)
	}
}

func TestNextStage(t *testing.T) {
	m := reference(t)
	demo := func(days float64) []lead.Activity {
		return []lead.Activity{act(lead.ActivityFormSubmit, days, "demo-request")}
	}
	score := func(total, fit, intent float64) lead.Score { return lead.Score{Total: total, Fit: fit, Intent: intent} }
	tests := []struct {
		name      string
		cur       lead.Stage
		s         lead.Score
		routed    bool
		acts      []lead.Activity
		want      lead.Stage
		wantCause string
	}{
		{"below engaged", lead.StageNew, score(19, 0, 19), false, nil, lead.StageNew, ""},
		{"engaged", lead.StageNew, score(20, 0, 20), false, nil, lead.StageEngaged, "score 20 ≥ engaged 20 with intent 20 > 0"},
		{"fit alone is not engagement", lead.StageNew, score(25, 25, 0), false, nil, lead.StageNew, ""},
		{"mql", lead.StageEngaged, score(60, 0, 60), false, nil, lead.StageMQL, "score 60 ≥ mql 60"},
		{"new straight to mql", lead.StageNew, score(62.5, 0, 62.5), false, nil, lead.StageMQL, "score 62.5 ≥ mql 60"},
		{"sql by score", lead.StageMQL, score(80, 15, 65), false, nil, lead.StageSQL, "score 80 ≥ sql 80 with fit 15 ≥ 15"},
		{"80 without fit stays mql", lead.StageMQL, score(85, 10, 75), false, nil, lead.StageMQL, ""},
		{"demo request fast track", lead.StageNew, score(55, 25, 30), false, demo(0), lead.StageSQL, "demo_request with fit 25 ≥ 15"},
		{"demo request 89 days old", lead.StageNew, score(32.5, 25, 7.5), false, demo(89), lead.StageSQL, "demo_request with fit 25 ≥ 15"},
		{"demo request 90 days old", lead.StageNew, score(25, 25, 0), false, demo(90), lead.StageNew, ""},
		{"demo request without fit", lead.StageEngaged, score(40, 10, 30), false, demo(0), lead.StageEngaged, ""},
		{"unrouted mql below the floor", lead.StageMQL, score(49.5, 0, 49.5), false, nil, lead.StageEngaged, "score 49.5 < mql floor 50, not routed"},
		{"unrouted mql at the floor", lead.StageMQL, score(50, 0, 50), false, nil, lead.StageMQL, ""},
		{"unrouted mql far below", lead.StageMQL, score(5, 0, 5), false, nil, lead.StageEngaged, "score 5 < mql floor 50, not routed"},
		{"routed mql keeps its stage", lead.StageMQL, score(10, 0, 10), true, nil, lead.StageMQL, ""},
		{"sql never decays", lead.StageSQL, score(0, 0, 0), false, nil, lead.StageSQL, ""},
		{"engaged never decays", lead.StageEngaged, score(0, 0, 0), false, nil, lead.StageEngaged, ""},
		{"sal untouched", lead.StageSAL, score(100, 25, 75), false, nil, lead.StageSAL, ""},
		{"opportunity untouched", lead.StageOpportunity, score(0, 0, 0), false, nil, lead.StageOpportunity, ""},
		{"customer untouched", lead.StageCustomer, score(100, 25, 75), false, nil, lead.StageCustomer, ""},
		{"disqualified untouched", lead.StageDisqualified, score(100, 25, 75), false, demo(0), lead.StageDisqualified, ""},
		{"closed_lost untouched", lead.StageClosedLost, score(100, 25, 75), false, nil, lead.StageClosedLost, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, cause := m.NextStage(tc.cur, tc.s, tc.routed, tc.acts, now)
			if got != tc.want || cause != tc.wantCause {
				t.Errorf("NextStage(%s) = %s, %q; want %s, %q", tc.cur, got, cause, tc.want, tc.wantCause)
			}
		})
	}
}

func TestApply(t *testing.T) {
	tests := []struct {
		cur       lead.Stage
		outcome   string
		reason    string
		want      lead.Stage
		wantCause string
		wantCode  string
	}{
		{lead.StageSQL, scoring.OutcomeSalesAccepted, "", lead.StageSAL, "sales_accepted", ""},
		{lead.StageSAL, scoring.OutcomeOpportunity, "", lead.StageOpportunity, "opportunity", ""},
		{lead.StageOpportunity, scoring.OutcomeClosedWon, "", lead.StageCustomer, "closed_won", ""},
		{lead.StageOpportunity, scoring.OutcomeClosedLost, "budget", lead.StageClosedLost, "closed_lost: budget", ""},
		{lead.StageSQL, scoring.OutcomeSalesRejected, "student", lead.StageDisqualified, "sales_rejected: student", ""},
		{lead.StageSQL, scoring.OutcomeSalesRejected, "", lead.StageSQL, "", lead.EUNPROCESSABLE},
		{lead.StageMQL, scoring.ActionDisqualify, "", lead.StageMQL, "", lead.EUNPROCESSABLE},
		{lead.StageMQL, scoring.ActionDisqualify, "competitor", lead.StageDisqualified, "disqualify: competitor", ""},
		{lead.StageClosedLost, scoring.ActionRecycle, "", lead.StageNew, "recycle", ""},
		{lead.StageSQL, "won_big", "", lead.StageSQL, "", lead.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.outcome+"/"+tc.reason, func(t *testing.T) {
			got, cause, err := scoring.Apply(tc.cur, tc.outcome, tc.reason)
			if got != tc.want || cause != tc.wantCause || lead.ErrorCode(err) != tc.wantCode {
				t.Errorf("Apply(%s, %s, %q) = %s, %q, %v; want %s, %q, code %q", tc.cur, tc.outcome, tc.reason, got, cause, err, tc.want, tc.wantCause, tc.wantCode)
			}
		})
	}
}

// TestTotalIsSumOfReasons checks with random leads and activities that the
// total is the sum of the reasons, the layers partition it, no reason is
// zero, and the order of the activities does not matter.
func TestTotalIsSumOfReasons(t *testing.T) {
	m := reference(t)
	titles := []string{"", "VP Sales", "Intern", "Head of Growth", "CTO", "Chief Marketing Officer"}
	industries := []string{"", "software", "healthcare", "fintech", "retail"}
	emails := []string{"a@acme-widgets.com", "b@gmail.com", "c@mailinator.com"}
	types := append([]lead.ActivityType{lead.ActivityFormSubmit}, lead.ActivityTypes...)
	urls := []string{"https://x.example/pricing", "https://x.example/demo", "https://x.example/blog"}
	check := func(seed int64) bool {
		rng := rand.New(rand.NewSource(seed))
		l := parseLead(t, map[string]string{
			"email": emails[rng.Intn(len(emails))], "title": titles[rng.Intn(len(titles))],
			"industry": industries[rng.Intn(len(industries))], "employees": fmt.Sprint(rng.Intn(8000)),
		})
		acts := make([]lead.Activity, rng.Intn(40))
		for i := range acts {
			acts[i] = lead.Activity{ID: fmt.Sprint(i), Type: types[rng.Intn(len(types))], URL: urls[rng.Intn(len(urls))], Form: "demo-request",
				OccurredAt: now.Add(-time.Duration(rng.Int63n(int64(150 * 24 * time.Hour))))}
		}
		s := m.Score(l, nil, acts, now)
		var sum, layers float64
		for _, r := range s.Reasons {
			if r.Points == 0 {
				t.Logf("seed %d: zero reason %+v", seed, r)
				return false
			}
			sum += r.Points
		}
		layers = s.Fit + s.Intent + s.Timing
		rng.Shuffle(len(acts), func(i, j int) { acts[i], acts[j] = acts[j], acts[i] })
		again := m.Score(l, nil, acts, now)
		if s.Total != sum || math.Abs(layers-s.Total) > 1e-9 || !cmp.Equal(reasonPoints(s), reasonPoints(again)) {
			t.Logf("seed %d: total %g, sum %g, layers %g, shuffled %v vs %v", seed, s.Total, sum, layers, reasonPoints(s), reasonPoints(again))
			return false
		}
		return true
	}
	if err := quick.Check(check, &quick.Config{MaxCount: 300}); err != nil {
		t.Error(err)
	}
}

func TestRuleErrorIsVisible(t *testing.T) {
	m, err := scoring.New(scoring.Spec{
		Compile: celrules.Compile,
		Version: "t", Window: 90 * 24 * time.Hour, DecayEvery: 30 * 24 * time.Hour,
		Thresholds: scoring.Thresholds{Engaged: 20, MQL: 60, MQLFloor: 50, SQL: 80, SQLMinFit: 15},
		Rules: []scoring.Rule{
			{Code: "partner", Layer: lead.LayerFit, Points: 5, When: "lead.extras['partner'] == 'yes'"},
			{Code: "opens", Layer: lead.LayerIntent, Points: 1, Activity: "activity.type in ['email_open', 'email_click']", Count: scoring.CountEach},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := m.Score(&lead.Lead{}, nil, []lead.Activity{act(lead.ActivityEmailOpen, 1), act(lead.ActivityEmailClick, 2)}, now)
	want := []lead.Reason{
		{Code: "partner", Layer: lead.LayerFit, Detail: "rule error: eval \"lead.extras['partner'] == 'yes'\": no such key: partner"},
		{Code: "opens", Layer: lead.LayerIntent, Points: 2, Count: 2},
	}
	if diff := cmp.Diff(want, s.Reasons); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
	if s.Total != 2 {
		t.Errorf("total %g, want 2", s.Total)
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	day := 24 * time.Hour
	_, err := scoring.New(scoring.Spec{
		Compile: celrules.Compile,
		Window:  90 * day, DecayEvery: 120 * day,
		Thresholds: scoring.Thresholds{Engaged: 20, MQL: 90, MQLFloor: 50, SQL: 80, FastTrack: []string{"fit_rule", "nope"}},
		Rules: []scoring.Rule{
			{Code: "fit_rule", Layer: lead.LayerFit, Points: 5, When: "lead.titel == 'x'"},
			{Code: "fit_rule", Layer: "vibes", Points: 0, When: "lead.employees"},
			{Code: "both", Layer: lead.LayerIntent, Points: 1, When: "true", Activity: "true"},
			{Code: "uncounted", Layer: lead.LayerIntent, Points: 1, Activity: "activity.type == 'email_open'"},
		},
	})
	var ps scoring.Problems
	if err == nil || !asProblems(err, &ps) {
		t.Fatalf("New = %v, want Problems", err)
	}
	got := make([]string, len(ps))
	for i, p := range ps {
		got[i] = p.Path + " [" + p.Rule + "]: " + p.Message
	}
	want := []string{
		"decay_every []: must be positive and at most the window",
		"rules[0].when [fit_rule]: undefined field 'titel'",
		"rules[1].code [fit_rule]: duplicate rule code",
		"rules[1].layer [fit_rule]: unknown layer \"vibes\" (want fit, intent or timing)",
		"rules[1].points [fit_rule]: must be a non-zero number",
		"rules[1].when [fit_rule]: must be bool, is int",
		"rules[2] [both]: needs exactly one of when or activity",
		"rules[3] [uncounted]: activity rule needs one of each, once or min_count",
		"thresholds []: must be in order 0 < engaged (20) < mql (90) < sql (80)",
		"thresholds.sql_fast_track[0] []: rule \"fit_rule\" must be an activity rule with positive points",
		"thresholds.sql_fast_track[1] []: unknown rule \"nope\"",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if e := ps[1].Expr; e == nil || e.Line != 1 || e.Column != 5 {
		t.Errorf("CEL problem position = %#v, want line 1 column 5", e)
	}
}

func asProblems(err error, ps *scoring.Problems) bool {
	p, ok := err.(scoring.Problems)
	*ps = p
	return ok
}

func TestFields(t *testing.T) {
	want := []string{"lead.disposable_email", "lead.employees", "lead.free_email", "lead.function", "lead.industry", "lead.seniority"}
	if diff := cmp.Diff(want, reference(t).Fields()); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

func TestConditionEval(t *testing.T) {
	x, errs := celrules.Compile("activities.exists(a, a.type == 'email_open') && account.industry == 'software' && now > lead.created_at", scoring.ScopeLead)
	if errs != nil {
		t.Fatal(errs)
	}
	l := &lead.Lead{CreatedAt: now.Add(-time.Hour)}
	for _, tc := range []struct {
		name string
		acc  *lead.Account
		acts []lead.Activity
		want bool
	}{
		{"opened, software", &lead.Account{Industry: "software"}, []lead.Activity{act(lead.ActivityEmailOpen, 1)}, true},
		{"never opened", &lead.Account{Industry: "software"}, nil, false},
		{"unknown account", nil, []lead.Activity{act(lead.ActivityEmailOpen, 1)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := x.Eval(l, tc.acc, tc.acts, now)
			if err != nil || got != tc.want {
				t.Errorf("Eval = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// BenchmarkScore scores one lead with 20 activities under the reference
// model.
func BenchmarkScore(b *testing.B) {
	m := reference(b)
	l := parseLead(b, map[string]string{"email": "dana@northwind-analytics.com", "title": "VP of Sales", "employees": "250", "industry": "software"})
	types := []lead.ActivityType{lead.ActivityEmailOpen, lead.ActivityEmailClick, lead.ActivityPageView, lead.ActivityWebinarAttended, lead.ActivityContentDownload}
	urls := []string{"https://x.example/pricing", "https://x.example/demo", "https://x.example/blog/routing"}
	acts := repeat(20, func(i int) lead.Activity {
		a := act(types[i%len(types)], float64(i*4), urls[i%len(urls)])
		return a
	})
	acts = append(acts[:19], act(lead.ActivityFormSubmit, 2, "demo-request"))
	b.ReportAllocs()
	for b.Loop() {
		m.Score(l, nil, acts, now)
	}
}
