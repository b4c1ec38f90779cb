package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const auditMapping = `outcome: {column: status, won: [closed_won], lost: [closed_lost], open: [open]}
created_at: {column: created, layout: "2006-01-02"}
source: {column: source}
score: {column: score}
stage: {column: stage}
speed_to_lead: {column: seconds_to_notify}
sla_breached: {column: sla_breached}
`

// writeAuditFixture writes a history whose won-lost gap narrows from 30 to
// 20 to 10 points over three quarters, and its mapping.
func writeAuditFixture(t *testing.T) (csvPath, mapPath string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("created,status,source,score,stage,seconds_to_notify,sla_breached\n")
	for i, gap := range []int{30, 20, 10} {
		date := fmt.Sprintf("2025-%02d-10", 3*i+1)
		fmt.Fprintf(&b, "%s,closed_won,google,%d,customer,1.5,no\n", date, 50+gap)
		fmt.Fprintf(&b, "%s,closed_won,referral,%d,customer,0.8,no\n", date, 50+gap)
		fmt.Fprintf(&b, "%s,closed_lost,google,50,closed_lost,2,yes\n", date)
		fmt.Fprintf(&b, "%s,closed_lost,google,50,closed_lost,3,no\n", date)
		fmt.Fprintf(&b, "%s,open,,70,sql,,\n", date)
	}
	dir := t.TempDir()
	csvPath, mapPath = filepath.Join(dir, "history.csv"), filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mapPath, []byte(auditMapping), 0o644); err != nil {
		t.Fatal(err)
	}
	return csvPath, mapPath
}

func TestAuditTableAndChart(t *testing.T) {
	csvPath, mapPath := writeAuditFixture(t)
	chart := filepath.Join(t.TempDir(), "audit.svg")
	var stdout, stderr bytes.Buffer
	if code := runAudit(context.Background(), []string{"--history", csvPath, "--map", mapPath, "--chart", chart}, &stdout, &stderr); code != 0 {
		t.Fatalf("audit exited %d: %s", code, stderr.String())
	}
	for _, want := range []string{
		"Closed-loop audit: 15 leads",
		"WARNING: score drift: the won-lost score gap narrowed two quarters running (2025-Q1 30.0, 2025-Q2 20.0, 2025-Q3 10.0)",
		"2025-Q3", "Conversion by source", "referral", "Conversion by score band", "Leads by stage",
		"SLA breach rate: 25.0% of 12 leads with an SLA",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("audit output lacks %q:\n%s", want, stdout.String())
		}
	}
	svg, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		if _, err := dec.Token(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("chart is not well-formed XML: %v", err)
		}
	}
}

func TestAuditJSON(t *testing.T) {
	csvPath, mapPath := writeAuditFixture(t)
	var stdout, stderr bytes.Buffer
	if code := runAudit(context.Background(), []string{"--history", csvPath, "--map", mapPath, "--format", "json", "--bands", "40,60"}, &stdout, &stderr); code != 0 {
		t.Fatalf("audit exited %d: %s", code, stderr.String())
	}
	var got struct {
		Leads    int      `json:"leads"`
		Bands    []string `json:"bands"`
		Warnings []string `json:"warnings"`
		Speed    struct {
			N   int     `json:"n"`
			P50 float64 `json:"p50_seconds"`
		} `json:"speed_to_lead"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("audit JSON: %v\n%s", err, stdout.String())
	}
	if got.Leads != 15 || len(got.Warnings) != 1 || strings.Join(got.Bands, " ") != "<40 40-60 >=60" || got.Speed.N != 12 || got.Speed.P50 != 1.5 {
		t.Errorf("audit JSON %+v", got)
	}
}

func TestAuditScoresWithModel(t *testing.T) {
	path, _ := trainXEducation(t, "--cv", "0")
	data, mapping := xeducationPaths(t)
	var stdout, stderr bytes.Buffer
	if code := runAudit(context.Background(), []string{"--history", data, "--map", mapping}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "no score column") {
		t.Errorf("audit without score or model: exit %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if code := runAudit(context.Background(), []string{"--history", data, "--map", mapping, "--model", path}, &stdout, &stderr); code != 0 {
		t.Fatalf("audit --model exited %d: %s", code, stderr.String())
	}
	for _, want := range []string{"Closed-loop audit: 6424 leads, score AUC 0.9", "undated", "Welingak Website"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("audit output lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestAuditUsageErrors(t *testing.T) {
	csvPath, mapPath := writeAuditFixture(t)
	tests := []struct {
		name string
		args []string
	}{
		{"no history", []string{"--map", mapPath}},
		{"bad format", []string{"--history", csvPath, "--map", mapPath, "--format", "yaml"}},
		{"bad bands", []string{"--history", csvPath, "--map", mapPath, "--bands", "10,x"}},
		{"unsorted bands", []string{"--history", csvPath, "--map", mapPath, "--bands", "60,40"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := runAudit(context.Background(), tc.args, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
				t.Errorf("exit %d, stderr %q; want 2 with a message", code, stderr.String())
			}
		})
	}
}
