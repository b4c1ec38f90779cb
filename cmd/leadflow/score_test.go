package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
)

var scoreAt = time.Date(2025, 6, 3, 15, 0, 0, 0, time.UTC)

func defaultConfig(tb testing.TB) *config.Config {
	tb.Helper()
	cfg, err := configfile.Default(celrules.Compile)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

func TestScoreLines(t *testing.T) {
	in := strings.Join([]string{
		`{"id": "l1", "form": "demo-request", "lead": {"Work email": "dana@northwind-analytics.com", "job_title": "VP of Sales", "company_size": 250, "State": "NY", "Country": "US"}, "activities": [{"type": "form_submit", "form": "demo-request", "days_ago": 0}]}`,
		`{"id": "l2", "lead": {"email": "sam@gmail.com"}, "activities": [{"type": "email_click", "occurred_at": "2025-05-01T15:00:00Z"}]}`,
		`{"id": "l3", "lead": {"email": "not-an-email"}}`,
		``,
		`{"id": "l4", "lead": {"email": "a@b-corp.com"}, "activities": [{"type": "email_open"}]}`,
	}, "\n")
	var out bytes.Buffer
	failed, err := scoreLines(defaultConfig(t), strings.NewReader(in), &out, scoreAt)
	if err != nil || failed != 2 {
		t.Fatalf("scoreLines = %d failed, %v; want 2 failed", failed, err)
	}
	var got []scoreOutput
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var o scoreOutput
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		for i := range o.Reasons {
			o.Reasons[i].Detail = ""
		}
		if o.Routing != nil {
			o.Routing.Explanation = nil
		}
		got = append(got, o)
	}
	want := []scoreOutput{
		{ID: "l1", Line: 1, Stage: "sql", Cause: "demo_request with fit 25 ≥ 15", Score: &layers{Total: 55, Fit: 25, Intent: 30},
			Reasons: reasons("icp_title:15:fit", "icp_headcount:10:fit", "demo_request:30:intent"),
			Routing: &routeOutput{Owner: "ava.brooks", Team: "us-east", Rule: "territory"}},
		{ID: "l2", Line: 2, Stage: "new", Score: &layers{Total: -7.5, Fit: -10, Intent: 2.5},
			Reasons: reasons("non_business_email:-10:fit", "email_click:2.5:intent")},
		{ID: "l3", Line: 3, Error: "lead: email: has no @"},
		{ID: "l4", Line: 5, Error: "activities[0]: needs occurred_at or days_ago"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("score output (-want +got):\n%s", diff)
	}
}

func reasons(specs ...string) []lead.Reason {
	out := make([]lead.Reason, len(specs))
	for i, s := range specs {
		parts := strings.Split(s, ":")
		var p float64
		fmt.Sscan(parts[1], &p)
		out[i] = lead.Reason{Code: parts[0], Points: p, Layer: lead.Layer(parts[2])}
		if parts[2] == "intent" {
			out[i].Count = 1
		}
	}
	return out
}

func TestValidateAndTestCommands(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	failing := filepath.Join(dir, "failing.yaml")
	text := strings.Replace(string(leadflow.DefaultConfig), "dataset: examples/companies.csv", "dataset: companies.csv", 1)
	csv, err := leadflow.FS.ReadFile("examples/companies.csv")
	if err != nil {
		t.Fatal(err)
	}
	badText := strings.Replace(strings.Replace(text, "lead.employees >= 50", "lead.employes >= 50", 1), "alert_after: 4h", "alert_after: 5h\n  page_after: 1h", 1)
	files := map[string]string{
		good:                                text,
		bad:                                 badText,
		failing:                             strings.Replace(text, "routing: {team: emea, owner: olivia.hughes", "routing: {team: emea, owner: lukas.schmidt", 1),
		filepath.Join(dir, "companies.csv"): string(csv),
	}
	for name, data := range files {
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		args     []string
		wantCode int
		wantOut  []string // substrings of stdout+stderr
	}{
		{[]string{"validate", good}, 0, []string{"ok: " + good + " (version 2025.06-reference: 13 rules, 18 reps in 6 teams, 5 forms, 2 cadences, 2 enrichment providers, 10 scenarios)"}},
		{[]string{"validate", bad}, 1, []string{
			fmt.Sprintf(`bad.yaml:%d: scoring rule "icp_headcount": when: undefined field 'employes'`, lineIn(badText, "lead.employes")),
			fmt.Sprintf(`bad.yaml:%d: sla: unknown key "page_after"`, lineIn(badText, "page_after")),
		}},
		{[]string{"test", good}, 0, []string{"PASS vp-sales-new-york-demo-request", "ok: 10 scenarios"}},
		{[]string{"test", failing}, 1, []string{"FAIL emea-head-of-growth\n", `routing.owner: want "lukas.schmidt", got "olivia.hughes"`, "FAIL: 1 of 10 scenarios"}},
		{[]string{"test", "--at", "yesterday", good}, 2, []string{"want RFC 3339"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			code := run(context.Background(), tc.args, &out, &out)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d; output:\n%s", code, tc.wantCode, out.String())
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func lineIn(text, marker string) int {
	return strings.Count(text[:strings.Index(text, marker)], "\n") + 1
}

// BenchmarkScoreLines scores 1,000 JSON lines with the default config.
func BenchmarkScoreLines(b *testing.B) {
	cfg := defaultConfig(b)
	var in strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&in, `{"id": "%d", "lead": {"email": "p%d@northwind-analytics.com", "title": "VP Sales", "employees": %d, "country": "US", "state": "NY"}, "activities": [{"type": "email_open", "days_ago": %d}, {"type": "page_view", "url": "https://x.example/pricing", "days_ago": 3}, {"type": "form_submit", "form": "demo-request", "days_ago": %d}]}`+"\n", i, i, 40+i, i%60, i%120)
	}
	data := in.String()
	b.ReportAllocs()
	for b.Loop() {
		if failed, err := scoreLines(cfg, strings.NewReader(data), &bytes.Buffer{}, scoreAt); err != nil || failed != 0 {
			b.Fatal(failed, err)
		}
	}
}
