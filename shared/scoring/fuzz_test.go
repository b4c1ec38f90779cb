package scoring_test

import (
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
)

// FuzzRule compiles a CEL rule in both scopes and evaluates it on a lead
// built from the other inputs: neither may panic, and a rule that compiles
// either evaluates or returns an error.
func FuzzRule(f *testing.F) {
	f.Add("lead.employees >= 50 && lead.employees <= 5000", "VP of Sales", 200, "software", "page_view", "https://x.example/pricing")
	f.Add("lead.seniority in ['vp', 'head'] && lead.function == 'sales'", "Head of Sales", 0, "", "email_open", "")
	f.Add("activity.type == 'page_view' && url_path(activity.url).contains('/demo')", "", 10, "retail", "page_view", "https://x.example/demo?x=1")
	f.Add("activities.exists(a, a.type == 'email_click')", "Engineer", -5, "saas", "email_click", "")
	f.Add("lead.extras['missing'] == 'x'", "", 1, "", "unsubscribe", "")
	f.Add("size(lead.title) / 0 > 1", "CEO", 1, "", "form_submit", "")
	f.Add("now - duration('24h') < timestamp('2026-01-01T00:00:00Z')", "", 1, "", "webinar_attended", "\x00")
	f.Add("activity.properties['k'].startsWith(\"\\u0000\")", "\xff", 1, "\u202e", "content_download", "%%")
	f.Add("((((((((((((((((((((lead.employees))))))))))))))))))) > 1", "", 1, "", "", "")
	f.Add("lead.employees +", "", 1, "", "", "")
	now := time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, src, title string, employees int, industry, actType, url string) {
		l := &lead.Lead{ID: "L", Email: "a@b.example", Title: title, Employees: employees, Industry: industry, Extras: map[string]string{"k": url}}
		lead.Normalize(l)
		acts := []lead.Activity{{LeadID: "L", ID: "a", Type: lead.ActivityType(actType), URL: url, OccurredAt: now.Add(-time.Hour), Properties: map[string]string{"k": title}}}
		if x, errs := celrules.Compile(src, scoring.ScopeLead); len(errs) == 0 {
			_, _ = x.Eval(l, &lead.Account{Domain: "b.example", Employees: employees}, acts, now)
		} else if x != nil {
			t.Errorf("Compile(%q) returned an expression and errors %v", src, errs)
		}
		m, err := scoring.New(scoring.Spec{
			Compile: celrules.Compile,
			Version: "fuzz", Window: 90 * 24 * time.Hour, DecayEvery: 30 * 24 * time.Hour,
			Thresholds: scoring.Thresholds{Engaged: 20, MQL: 60, MQLFloor: 50, SQL: 80, SQLMinFit: 15},
			Rules: []scoring.Rule{
				{Code: "a", Layer: lead.LayerIntent, Points: 5, Activity: src, Count: scoring.CountEach, Cap: 3},
				{Code: "w", Layer: lead.LayerFit, Points: 10, When: src},
			},
		})
		if err != nil {
			return
		}
		s := m.Score(l, nil, acts, now)
		if s.Total != s.Fit+s.Intent+s.Timing+s.Predicted && s.Total != s.Fit+s.Intent+s.Timing {
			t.Errorf("total %g is not the sum of its layers %+v", s.Total, s)
		}
		m.NextStage(lead.StageNew, s, false, acts, now)
	})
}
