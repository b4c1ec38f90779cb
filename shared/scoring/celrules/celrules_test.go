package celrules_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cel.dev/cel-go/common/types"
	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/internal/repotest"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
)

var now = time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)

// corpus exercises every operator and function the engine implements,
// including the error cases (overflow, missing keys, bad conversions) where
// CEL's error semantics matter.
var corpus = []struct {
	scope scoring.Scope
	src   string
}{
	{scoring.ScopeLead, "lead.seniority in ['c_level', 'vp', 'head', 'director'] && lead.function in ['sales', 'marketing']"},
	{scoring.ScopeLead, "lead.employees >= 50 && lead.employees <= 5000"},
	{scoring.ScopeLead, "lead.industry != '' && !(lead.industry in ['software', 'saas'])"},
	{scoring.ScopeLead, "lead.free_email || lead.disposable_email"},
	{scoring.ScopeLead, "activities.exists(a, a.type in ['email_open', 'email_click'])"},
	{scoring.ScopeLead, "!activities.exists(a, a.type in ['email_open', 'email_click'])"},
	{scoring.ScopeLead, "activities.all(a, a.occurred_at > now - duration('720h'))"},
	{scoring.ScopeLead, "activities.exists_one(a, a.type == 'page_view')"},
	{scoring.ScopeLead, "activities.filter(a, a.type == 'page_view').size() >= 2"},
	{scoring.ScopeLead, "activities.map(a, a.url).exists(u, u.contains('/pricing'))"},
	{scoring.ScopeLead, "size(activities.filter(a, a.properties['k'] == 'x')) > 0"},
	{scoring.ScopeLead, "lead.phone == ''"},
	{scoring.ScopeLead, "lead.extras['partner'] == 'yes'"},
	{scoring.ScopeLead, "'partner' in lead.extras && lead.extras.partner == 'yes'"},
	{scoring.ScopeLead, "has(lead.extras.partner)"},
	{scoring.ScopeLead, "has(lead.title) && lead.title.lowerAscii().contains('vp')"},
	{scoring.ScopeLead, "lead.title.upperAscii().startsWith('VP') || lead.title.trim().endsWith('Sales')"},
	{scoring.ScopeLead, "lead.title.matches('(?i)^(vp|head)')"},
	{scoring.ScopeLead, "lead.email.matches(lead.title)"},
	{scoring.ScopeLead, "lead.title.split(' ').size() > 2 && lead.title.split(' ', 2)[0] != ''"},
	{scoring.ScopeLead, "lead.title.replace('o', '0') == lead.title.replace('o', '0', 1)"},
	{scoring.ScopeLead, "['a', lead.title].join('-') != '' && ['x'].join() == 'x'"},
	{scoring.ScopeLead, "lead.title.indexOf('a') >= 0 || lead.title.lastIndexOf('a') == -1"},
	{scoring.ScopeLead, "lead.title.indexOf('a', 2) < lead.title.lastIndexOf('e', 3)"},
	{scoring.ScopeLead, "lead.title.charAt(0) == 'V'"},
	{scoring.ScopeLead, "lead.title.substring(1) != lead.title.substring(0, 2)"},
	{scoring.ScopeLead, "lead.title.reverse() == lead.title"},
	{scoring.ScopeLead, "size(lead.title) > 3 && lead.title.size() < 100"},
	{scoring.ScopeLead, "lead.employees / (lead.employees - 200) > 1"},
	{scoring.ScopeLead, "lead.employees % 7 == 3"},
	{scoring.ScopeLead, "lead.employees * 9223372036854775 > 0"},
	{scoring.ScopeLead, "lead.employees + 9223372036854775800 > 0"},
	{scoring.ScopeLead, "lead.employees - 9223372036854775800 < 0"},
	{scoring.ScopeLead, "-lead.employees < 0"},
	{scoring.ScopeLead, "double(lead.employees) / 3.0 > 33.3"},
	{scoring.ScopeLead, "int(double(lead.employees) * 1.5) == 150"},
	{scoring.ScopeLead, "uint(lead.employees) > 10u"},
	{scoring.ScopeLead, "string(lead.employees) == '100' || string(double(lead.employees) / 7.0) != ''"},
	{scoring.ScopeLead, "int(lead.extras['k']) > 5"},
	{scoring.ScopeLead, "double(lead.extras['k']) > 5.0"},
	{scoring.ScopeLead, "bool(lead.extras['k'])"},
	{scoring.ScopeLead, "timestamp(lead.extras['k']) < now"},
	{scoring.ScopeLead, "duration(lead.extras['k']) > duration('1h')"},
	{scoring.ScopeLead, "lead.created_at > now - duration('24h')"},
	{scoring.ScopeLead, "now - lead.created_at < duration('72h')"},
	{scoring.ScopeLead, "lead.created_at + duration('1h') < now"},
	{scoring.ScopeLead, "int(lead.created_at) < int(now)"},
	{scoring.ScopeLead, "string(now) != '' && string(duration('90m')) == '5400s'"},
	{scoring.ScopeLead, "timestamp('2026-01-01T00:00:00Z') < now"},
	{scoring.ScopeLead, "account.industry == 'software' && account.employees > 100"},
	{scoring.ScopeLead, "'salesforce' in account.tech"},
	{scoring.ScopeLead, "account.tech.exists(t, t.startsWith('hub'))"},
	{scoring.ScopeLead, "size(account.tech) == 0 ? lead.employees > 10 : lead.employees > 1000"},
	{scoring.ScopeLead, "lead.score.fit > 10.0 && lead.score.total >= 0.0"},
	{scoring.ScopeLead, "lead.stage in ['mql', 'sql']"},
	{scoring.ScopeLead, "lead.consent != '' || lead.consent == 'granted'"},
	{scoring.ScopeLead, "lead.touches.exists(t, t.channel == 'email')"},
	{scoring.ScopeLead, "{'a': 1, 'b': 2}[lead.extras['k']] == 1"},
	{scoring.ScopeLead, "[1, 2, 3][lead.employees % 5] == 2"},
	{scoring.ScopeLead, "[1, 2] + [3] == [1, 2, 3] && 'ab' + lead.title != ''"},
	{scoring.ScopeLead, "b'ab' + bytes(lead.title) != b'x' && size(b'abc') == 3"},
	{scoring.ScopeLead, "lead.employees > 100 || lead.extras['missing'] == 'x'"},
	{scoring.ScopeLead, "lead.extras['missing'] == 'x' || lead.employees > 100"},
	{scoring.ScopeLead, "lead.extras['missing'] == 'x' && lead.employees > 100"},
	{scoring.ScopeLead, "activities.exists(a, a.properties['k'] == 'x')"},
	{scoring.ScopeLead, "activities.all(a, a.properties['k'] == 'x')"},
	{scoring.ScopeLead, "dyn(lead.employees) == 100.0"},
	{scoring.ScopeLead, "0.0 / 0.0 < 1.0"},
	{scoring.ScopeLead, "1.0 / 0.0 > 1e308"},
	{scoring.ScopeLead, "0.0 / 0.0 >= 0.0 || 0.0 / 0.0 == 0.0 / 0.0"},
	{scoring.ScopeLead, "lead.version == 0 && lead.employees != 0 || null == null"},
	{scoring.ScopeActivity, "activity.type == 'page_view' && url_path(activity.url).contains('/pricing')"},
	{scoring.ScopeActivity, "activity.type == 'form_submit' && activity.form == 'demo-request'"},
	{scoring.ScopeActivity, "activity.type in ['email_open', 'email_click'] && activity.occurred_at > now - duration('24h')"},
	{scoring.ScopeActivity, "activity.url.size() > 3 && lead.employees > 10"},
	{scoring.ScopeActivity, "activity.properties['k'].startsWith('v')"},
	{scoring.ScopeActivity, "has(activity.properties.k) && activity.properties.k == lead.title"},
}

// leads are the inputs: ordinary, empty and extreme values.
func leads() []struct {
	l    *lead.Lead
	a    *lead.Account
	acts []lead.Activity
} {
	titles := []string{"VP of Sales", "", "Head of Growth", "ingénieur ☃", "vpvpvp", "a"}
	emps := []int{0, 100, 200, 5000, -3, 1 << 62}
	extras := []string{"x", "12", "3.5", "true", "2026-01-02T03:04:05Z", "90m", "not a number", ""}
	var out []struct {
		l    *lead.Lead
		a    *lead.Account
		acts []lead.Activity
	}
	for i := range 24 {
		l := &lead.Lead{
			ID: "L", Email: "pat@acme.example", Title: titles[i%len(titles)], Employees: emps[i%len(emps)],
			Seniority: []string{"vp", "manager", ""}[i%3], Function: []string{"sales", "engineering"}[i%2],
			Industry: []string{"software", "", "retail"}[i%3], FreeEmail: i%4 == 0, DisposableEmail: i%5 == 0,
			Phone: []string{"", "+12125550100"}[i%2], Stage: []lead.Stage{lead.StageNew, lead.StageMQL, lead.StageSQL}[i%3],
			Extras:    map[string]string{"k": extras[i%len(extras)]},
			CreatedAt: now.Add(-time.Duration(i*7) * time.Hour),
			Score:     lead.Score{Fit: float64(i), Total: float64(i * 5)},
		}
		if i%3 == 0 {
			l.Extras["partner"] = "yes"
		}
		if i%4 == 1 {
			l.Touches = []lead.Touch{{Channel: "email"}}
		}
		var acc *lead.Account
		if i%2 == 0 {
			acc = &lead.Account{Domain: "acme.example", Industry: "software", Employees: emps[(i+1)%len(emps)], Tech: []string{"salesforce", "hubspot"}[:i%3]}
		}
		var acts []lead.Activity
		for j := range i % 5 {
			acts = append(acts, lead.Activity{
				ID: fmt.Sprint(j), LeadID: "L", Type: []lead.ActivityType{lead.ActivityPageView, lead.ActivityEmailOpen, lead.ActivityFormSubmit}[(i+j)%3],
				URL: []string{"https://x.example/pricing?a=1", "/demo", ""}[j%3], Form: "demo-request",
				OccurredAt: now.Add(-time.Duration(j*13) * time.Hour), Properties: map[string]string{"k": []string{"x", "v1", "y"}[j%3]},
			})
		}
		out = append(out, struct {
			l    *lead.Lead
			a    *lead.Account
			acts []lead.Activity
		}{l, acc, acts})
	}
	return out
}

// TestEngineAgreesWithCEL evaluates every corpus expression on every input
// with both the scoring engine and cel-go: the results must be equal, and
// one fails exactly when the other does.
func TestEngineAgreesWithCEL(t *testing.T) {
	for _, tc := range corpus {
		t.Run(tc.src, func(t *testing.T) {
			x, errs := celrules.Compile(tc.src, tc.scope)
			if errs != nil {
				t.Fatalf("compile: %v", errs)
			}
			compareOnLeads(t, tc.src, tc.scope, x)
		})
	}
}

// TestDefaultConfigAgreesWithCEL runs the same comparison over every rule of
// the shipped config.
func TestDefaultConfigAgreesWithCEL(t *testing.T) {
	var rec scoring.Compiled
	if _, err := configfile.Default(rec.Record(celrules.Compile)); err != nil {
		t.Fatal(err)
	}
	if len(rec.Exprs) < 10 {
		t.Fatalf("recorded %d expressions from the default config, want every rule", len(rec.Exprs))
	}
	for _, e := range rec.Exprs {
		x, errs := celrules.Compile(e.Source, e.Scope)
		if errs != nil {
			t.Fatal(errs)
		}
		compareOnLeads(t, e.Source, e.Scope, x)
	}
}

// TestCompiledRoundTrip compiles the shipped config, loads its compiled
// form back and scores every input with both: a deployed function scores
// exactly as the checker-built model does.
func TestCompiledRoundTrip(t *testing.T) {
	root := repotest.Root(t)
	want, form, err := configfile.Compile(filepath.Join(root, "leadflow.yaml"), celrules.Compile)
	if err != nil {
		t.Fatal(err)
	}
	// The form alone in a bundle, with the dataset the config names.
	dir := t.TempDir()
	dataset, err := os.ReadFile(filepath.Join(root, "examples", "companies.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "examples"), 0o755); err != nil {
		t.Fatal(err)
	}
	compiled := filepath.Join(dir, "leadflow.compiled.json")
	for path, data := range map[string][]byte{compiled: form, filepath.Join(dir, "examples", "companies.csv"): dataset} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := config.LoadCompiled(compiled)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range leads() {
		w, g := want.Scoring.Score(in.l, in.a, in.acts, now), got.Scoring.Score(in.l, in.a, in.acts, now)
		if fmt.Sprint(w) != fmt.Sprint(g) {
			t.Errorf("input %d: compiled form scores %+v, checker-built %+v", i, g, w)
		}
		ow, og := want.Evaluate(in.l, in.a, in.acts, "", now), got.Evaluate(in.l, in.a, in.acts, "", now)
		if diff := cmp.Diff(ow, og); diff != "" {
			t.Errorf("input %d: outcome (-checker-built +compiled):\n%s", i, diff)
		}
	}
	// The form ships no scenarios; the checker-built ones still pass on
	// the compiled rules.
	if len(got.Scenarios) != 0 {
		t.Errorf("compiled form carries %d scenarios, want none", len(got.Scenarios))
	}
	withScenarios := *got
	withScenarios.Scenarios = want.Scenarios
	if diff := cmp.Diff(config.RunScenarios(want, now), config.RunScenarios(&withScenarios, now)); diff != "" {
		t.Errorf("scenarios (-checker-built +compiled):\n%s", diff)
	}
	// A rule the form does not hold is an error naming the fix.
	var rec scoring.Compiled
	_, errs := rec.Compiler()("lead.employees > 1", scoring.ScopeLead)
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "cdk synth") {
		t.Errorf("unknown rule: %v, want an error asking to rebuild", errs)
	}
}

func TestUnsupportedIsACompileError(t *testing.T) {
	for _, src := range []string{
		"lead.routing.rule == 'x'",   // pointer field
		"type(lead.title) == string", // type values
		"lead.created_at.getFullYear() > 2000",
		"[1, 2].exists(i, v, v > 1)",
	} {
		if x, errs := celrules.Compile(src, scoring.ScopeLead); x != nil || len(errs) == 0 {
			t.Errorf("Compile(%q) = %v, %v; want an error", src, x, errs)
		}
	}
}

// FuzzEngineAgreesWithCEL compiles arbitrary source and, when the checker
// accepts it, compares both evaluators on inputs built from the fuzz data.
func FuzzEngineAgreesWithCEL(f *testing.F) {
	for _, tc := range corpus {
		f.Add(tc.src, "VP of Sales", 120, "12")
	}
	f.Fuzz(func(t *testing.T, src, title string, employees int, extra string) {
		x, errs := celrules.Compile(src, scoring.ScopeLead)
		if errs != nil {
			return
		}
		l := &lead.Lead{Title: title, Employees: employees, Extras: map[string]string{"k": extra}, CreatedAt: now.Add(-time.Hour)}
		acts := []lead.Activity{{ID: "a", Type: lead.ActivityPageView, URL: title, OccurredAt: now.Add(-time.Hour), Properties: map[string]string{"k": extra}}}
		compare(t, 0, src, scoring.ScopeLead, l, &lead.Account{Industry: title, Tech: []string{extra}}, acts, nil, x)
	})
}

// compareOnLeads compares both evaluators on every input of leads(): a lead
// condition once per lead, an activity predicate on each of its activities.
func compareOnLeads(t *testing.T, src string, scope scoring.Scope, x *scoring.Expr) {
	t.Helper()
	for i, in := range leads() {
		if scope == scoring.ScopeLead {
			compare(t, i, src, scope, in.l, in.a, in.acts, nil, x)
			continue
		}
		for j := range in.acts {
			compare(t, i, src, scope, in.l, in.a, nil, &in.acts[j], x)
		}
	}
}

// compare evaluates src with cel-go and x with the engine on one input.
func compare(t *testing.T, i int, src string, scope scoring.Scope, l *lead.Lead, a *lead.Account, acts []lead.Activity, act *lead.Activity, x *scoring.Expr) {
	t.Helper()
	want, wantErr := celEval(t, src, scope, l, a, acts, act)
	var got bool
	var err error
	if act != nil {
		got, err = x.Match(l, a, act, now)
	} else {
		got, err = x.Eval(l, a, acts, now)
	}
	if (err != nil) != (wantErr != nil) || (err == nil && got != want) {
		t.Errorf("input %d, %q: engine %v (err %v), cel-go %v (err %v)", i, src, got, err, want, wantErr)
	}
}

func celEval(t *testing.T, src string, scope scoring.Scope, l *lead.Lead, a *lead.Account, acts []lead.Activity, act *lead.Activity) (bool, error) {
	t.Helper()
	envs, err := celrules.Environments()
	if err != nil {
		t.Fatal(err)
	}
	env := envs[scope]
	checked, iss := env.Compile(src)
	if iss.Err() != nil {
		t.Fatal(iss.Err())
	}
	prog, err := env.Program(checked)
	if err != nil {
		t.Fatal(err)
	}
	if a == nil {
		a = &lead.Account{}
	}
	vars := map[string]any{scoring.VarLead: l, scoring.VarAccount: a, scoring.VarNow: types.Timestamp{Time: now}}
	if scope == scoring.ScopeLead {
		if acts == nil {
			acts = []lead.Activity{}
		}
		vars[scoring.VarActivities] = acts
	} else {
		vars[scoring.VarActivity] = act
	}
	v, _, err := prog.Eval(vars)
	if err != nil {
		return false, err
	}
	b, ok := v.Value().(bool)
	if !ok {
		return false, fmt.Errorf("result %v is not bool", v)
	}
	return b, nil
}
