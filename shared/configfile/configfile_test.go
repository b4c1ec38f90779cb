package configfile

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
)

func TestDefaultScenariosPass(t *testing.T) {
	c, err := Default(celrules.Compile)
	if err != nil {
		t.Fatalf("default config: %v", err)
	}
	results := config.RunScenarios(c, time.Date(2025, 6, 3, 15, 0, 0, 0, time.UTC))
	if len(results) < 8 {
		t.Errorf("%d scenarios, want the reference set", len(results))
	}
	for _, r := range results {
		if !r.Passed {
			t.Errorf("scenario %s:\n%s", r.Name, r.Diff)
		}
	}
}

func TestDefaultSections(t *testing.T) {
	c, err := Default(celrules.Compile)
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		Version           string
		Forms, Cadences   []string
		Rules, Reps       int
		Alert, Reassign   time.Duration
		Providers         []string
		QualificationDays []int
		RuleFields        []string
	}
	got := summary{Version: c.Version, Rules: len(c.Scoring.Spec().Rules), Reps: len(c.RoutingConfig.Reps), Alert: c.SLA.AlertAfter, Reassign: c.SLA.ReassignAfter, RuleFields: c.RuleFields()}
	got.Forms = slices.Sorted(maps.Keys(c.Forms))
	for _, cad := range c.Nurture {
		got.Cadences = append(got.Cadences, cad.Name)
	}
	for _, s := range c.Nurture[0].Steps {
		got.QualificationDays = append(got.QualificationDays, s.Day)
	}
	for _, p := range c.Enrichment.Providers {
		got.Providers = append(got.Providers, p.Kind+":"+p.Name)
	}
	want := summary{
		Version: "2025.06-reference", Forms: []string{"contact-us", "content-download", "demo-request", "newsletter", "webinar-registration"},
		Cadences: []string{"qualification", "general"}, Rules: 13, Reps: 18, Alert: 4 * time.Hour, Reassign: 24 * time.Hour,
		Providers: []string{"dataset:companies", "heuristics:email-domain"},
		// Two alternative day-5 emails: seven touches over 18 days.
		QualificationDays: []int{1, 3, 5, 5, 8, 11, 14, 18},
		RuleFields:        []string{"company", "country", "disposable_email", "domain", "employees", "first_name", "free_email", "function", "industry", "phone", "seniority", "state"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("default config (-want +got):\n%s", diff)
	}
}

func TestFieldMaps(t *testing.T) {
	c, err := Default(celrules.Compile)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Forms["demo-request"].Canonical(map[string]string{"work EMAIL": "a@b.co", "job_title": "VP Sales", "company_size": "50", "fax_number": "bot", "utm_source": "ads"})
	want := map[string]string{"email": "a@b.co", "title": "VP Sales", "employees": "50", "utm_source": "ads"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("demo-request map (-want +got):\n%s", diff)
	}
	got = c.Sources["linkedin"].Canonical(map[string]string{"Job title": "Head of Growth", "companyName": "Acme"})
	if diff := cmp.Diff(map[string]string{"title": "Head of Growth", "company": "Acme"}, got); diff != "" {
		t.Errorf("linkedin map (-want +got):\n%s", diff)
	}
}

func TestNurtureAdapts(t *testing.T) {
	c, err := Default(celrules.Compile)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 3, 15, 0, 0, 0, time.UTC)
	steps := map[string]*config.Step{}
	for _, s := range c.Nurture[0].Steps {
		steps[s.ID] = s
	}
	opened := []lead.Activity{{Type: lead.ActivityEmailOpen, OccurredAt: now}}
	l := &lead.Lead{FirstName: "Dana"}
	tests := []struct {
		step string
		acts []lead.Activity
		want bool
	}{
		{"follow-up-engaged", opened, true},
		{"follow-up-quiet", opened, false},
		{"follow-up-engaged", nil, false},
		{"follow-up-quiet", nil, true},
		{"call", nil, false}, // no phone: skipped
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.step, len(tc.acts)), func(t *testing.T) {
			got, err := steps[tc.step].Applies(l, nil, tc.acts, now)
			if err != nil || got != tc.want {
				t.Errorf("Applies = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	subject, body := steps["intro"].Render(map[string]string{"first_name": "Dana", "company": "Northwind"})
	if subject != "Northwind and speed-to-lead" || !strings.Contains(body, "Hi Dana,") || !strings.Contains(body, "Teams in B2B") {
		t.Errorf("rendered %q / %q: want values, then fallbacks", subject, body)
	}
}

// lineOf returns the 1-based line of the first occurrence of s in data.
func lineOf(t *testing.T, data []byte, s string) int {
	t.Helper()
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		t.Fatalf("%q not in config", s)
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

func TestErrors(t *testing.T) {
	type edit struct{ old, new string }
	tests := []struct {
		name  string
		edits []edit
		// want holds messages with %d for the line of the marker of the
		// same index, found in the edited file.
		want    []string
		markers []string
	}{
		{
			name:    "CEL type error",
			edits:   []edit{{"when: lead.employees >= 50", "when: lead.employes >= 50"}},
			want:    []string{`leadflow.yaml:%d: scoring rule "icp_headcount": when: undefined field 'employes'`},
			markers: []string{"lead.employes"},
		},
		{
			name:    "CEL error inside a folded block",
			edits:   []edit{{"lead.function in ['sales',", "lead.functon in ['sales',"}},
			want:    []string{`leadflow.yaml:%d: scoring rule "icp_title": when: undefined field 'functon'`},
			markers: []string{"lead.functon"},
		},
		{
			name:    "rule is not bool",
			edits:   []edit{{"when: lead.free_email || lead.disposable_email", "when: lead.employees + 1"}},
			want:    []string{`leadflow.yaml:%d: scoring rule "non_business_email": when: must be bool, is int`},
			markers: []string{"lead.employees + 1"},
		},
		{
			name:    "unknown rep in a team",
			edits:   []edit{{"reps: [jordan.kim, elena.garcia, tom.becker]", "reps: [jordan.kim, elena.garcia, tom.baker]"}},
			want:    []string{`leadflow.yaml:%d: team "us-central": reps[2]: unknown rep "tom.baker"`},
			markers: []string{"tom.baker"},
		},
		{
			name:    "thresholds out of order",
			edits:   []edit{{"    sql: 80 ", "    sql: 55 "}},
			want:    []string{`leadflow.yaml:%d: scoring: thresholds: must be in order 0 < engaged (20) < mql (60) < sql (55)`},
			markers: []string{"  thresholds:"},
		},
		{
			name:    "unknown key",
			edits:   []edit{{"      layer: fit\n      points: 10\n", "      layer: fit\n      weight: 2\n      points: 10\n"}},
			want:    []string{`leadflow.yaml:%d: scoring rule "icp_headcount": unknown key "weight"`},
			markers: []string{"weight: 2"},
		},
		{
			name:    "wrong type",
			edits:   []edit{{"      points: 15\n", "      points: lots\n"}},
			want:    []string{`leadflow.yaml:%d: scoring rule "icp_title": wrong type: want a number, got string "lots"`},
			markers: []string{"points: lots"},
		},
		{
			name:    "bad duration",
			edits:   []edit{{"alert_after: 4h", "alert_after: soon"}},
			want:    []string{`leadflow.yaml:%d: sla: alert_after: bad duration "soon": want e.g. 4h, 30m or 90d`},
			markers: []string{"alert_after: soon"},
		},
		{
			name:    "duration of the wrong type",
			edits:   []edit{{"alert_after: 4h", "alert_after: [4h]"}},
			want:    []string{`leadflow.yaml:%d: sla: wrong type: want a duration, e.g. 4h or 90d, got list`},
			markers: []string{"alert_after: [4h]"},
		},
		{
			name:    "bad time zone and hours",
			edits:   []edit{{"time_zone: America/Chicago, hours: \"08:00-16:00\"", "time_zone: America/Chikago, hours: \"16:00-08:00\""}},
			want:    []string{`leadflow.yaml:%d: rep "jordan.kim": time_zone: unknown time zone "America/Chikago"`, `leadflow.yaml:%d: rep "jordan.kim": hours: hours must look like 09:00-17:00 with start before end, got "16:00-08:00"`},
			markers: []string{"America/Chikago", "America/Chikago"},
		},
		{
			name:    "unknown form in a scenario",
			edits:   []edit{{"    form: newsletter\n", "    form: newsleter\n"}},
			want:    []string{`leadflow.yaml:%d: scenario "gmail-student-newsletter": form: unknown form "newsleter"`},
			markers: []string{"form: newsleter"},
		},
		{
			name:    "duplicate rule code",
			edits:   []edit{{"    - code: email_bounced\n", "    - code: unsubscribed\n      layer: intent\n      points: -1\n      when: 'true'\n    - code: email_bounced\n"}},
			want:    []string{`leadflow.yaml:%d: scoring rule "unsubscribed": code: duplicate rule code`},
			markers: []string{"- code: unsubscribed\n      layer: intent\n      points: -1\n"},
		},
		{
			name: "nurture mistakes, all reported",
			edits: []edit{
				{"channel: linkedin_connect", "channel: fax"},
				{"when: activities.exists(a, a.type in ['email_open', 'email_click'])", "when: activities.exists(a, a.typ == 'email_open')"},
				{`subject: "Should I close your file?"`, `subject: "Should I close {{compnay}}?"`},
			},
			want: []string{
				`leadflow.yaml:%d: cadence "qualification" step "connect": channel: unknown channel "fax" (want one of email, linkedin_connect, linkedin_message, call, task)`,
				`leadflow.yaml:%d: cadence "qualification" step "follow-up-engaged": when: undefined field 'typ'`,
				`leadflow.yaml:%d: cadence "qualification" step "breakup": subject: unknown merge field {{compnay}} (want one of first_name, last_name, title, company, industry, country, recent_event, owner_name, sender_name, unsubscribe_url)`,
			},
			markers: []string{"channel: fax", "a.typ ==", "{{compnay}}"},
		},
		{
			name:    "missing dataset",
			edits:   []edit{{"dataset: examples/companies.csv", "dataset: examples/missing.csv"}},
			want:    []string{`leadflow.yaml:%d: enrichment provider "companies": dataset: file "examples/missing.csv" not found beside the config`},
			markers: []string{"examples/missing.csv"},
		},
		{
			name:    "syntax error",
			edits:   []edit{{"cors_origins:\n", "cors_origins: [\n"}},
			want:    []string{`leadflow.yaml:%d: did not find expected node content`},
			markers: []string{"cors_origins: ["},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := string(leadflow.DefaultConfig)
			for _, e := range tc.edits {
				if !strings.Contains(data, e.old) {
					t.Fatalf("%q not in the default config", e.old)
				}
				data = strings.Replace(data, e.old, e.new, 1)
			}
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = fmt.Sprintf(w, lineOf(t, []byte(data), tc.markers[i]))
			}
			_, _, err := read("leadflow.yaml", []byte(data), leadflow.FS, celrules.Compile)
			var errs config.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("read = %v, want Errors", err)
			}
			got := make([]string, len(errs))
			for i, e := range errs {
				got[i] = e.Error()
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadResolvesDatasetBesideTheFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "examples"), 0o755); err != nil {
		t.Fatal(err)
	}
	csv, err := leadflow.FS.ReadFile("examples/companies.csv")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "custom.yaml")
	for _, f := range []struct {
		name string
		data []byte
	}{{filepath.Join(dir, "examples", "companies.csv"), csv}, {path, leadflow.DefaultConfig}} {
		if err := os.WriteFile(f.name, f.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Load(path, celrules.Compile)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.File != "custom.yaml" {
		t.Errorf("File = %q", c.File)
	}
	if err := os.Remove(filepath.Join(dir, "examples", "companies.csv")); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path, celrules.Compile)
	if err == nil || !strings.Contains(err.Error(), `custom.yaml:`) || !strings.Contains(err.Error(), `file "examples/companies.csv" not found beside the config`) {
		t.Errorf("Load without the dataset = %v, want a located error", err)
	}
	if _, err := Load(filepath.Join(dir, "nope.yaml"), celrules.Compile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file = %v, want ErrNotExist", err)
	}
}
