package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/shared/embedded"
)

const replayMapping = `id: {column: id}
created_at: {column: created, layout: "2006-01-02"}
outcome: {column: result, won: [won], lost: [lost], open: [open]}
source: {column: source}
signals:
  webinar_attended: {column: webinars}
  email_click: {column: clicks}
  email_open: {column: opens}
`

// Under the shipped rules, at the next day: a scores 30 + 25 + 10 = 65
// (mql at 60, not at 70), b 30 + 25 = 55, c is won.
const replayHistory = `id,created,result,source,webinars,clicks,opens
a,2025-03-01,open,Ads,3,5,5
b,2025-03-01,open,Ads,3,5,0
c,2025-03-01,won,Partner,1,0,0
`

// replayFixture writes the history, its mapping and a candidate config with
// the mql threshold at 70 into a temp dir.
func replayFixture(t *testing.T) (dir, csvPath, mapPath, candidate string) {
	t.Helper()
	dir = t.TempDir()
	csvPath, mapPath, candidate = filepath.Join(dir, "h.csv"), filepath.Join(dir, "m.yaml"), filepath.Join(dir, "candidate.yaml")
	cfg := bytes.Replace(leadflow.DefaultConfig, []byte("    mql: 60\n"), []byte("    mql: 70\n"), 1)
	companies, err := os.ReadFile("../../examples/companies.csv")
	if err != nil {
		t.Fatal(err)
	}
	for path, data := range map[string][]byte{csvPath: []byte(replayHistory), mapPath: []byte(replayMapping), candidate: cfg, filepath.Join(dir, "examples", "companies.csv"): companies} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, csvPath, mapPath, candidate
}

func runCmd(t *testing.T, wantCode int, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != wantCode {
		t.Fatalf("leadflow %s: exit %d, want %d; stderr:\n%s", strings.Join(args, " "), code, wantCode, stderr.String())
	}
	return stdout.String() + stderr.String()
}

type replayJSON struct {
	Changes []struct {
		LeadID string `json:"lead_id"`
		Before struct{ Stage string }
		After  struct{ Stage string }
	}
	Applied *struct{ Updated int }
}

func decodeReplay(t *testing.T, out string) (stages []string, r replayJSON) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("replay JSON: %v\n%s", err, out)
	}
	for _, c := range r.Changes {
		stages = append(stages, c.Before.Stage+"→"+c.After.Stage)
	}
	return stages, r
}

func TestHistoryImportReplayAndStoreAudit(t *testing.T) {
	dir, csvPath, mapPath, candidate := replayFixture(t)
	data := filepath.Join(dir, "data")
	at := "2025-03-02T00:00:00Z"

	out := runCmd(t, 0, "import", "--history", csvPath, "--map", mapPath, "--data", data)
	if !strings.Contains(out, "3 leads, 3 new, 0 already stored, 22 activities") {
		t.Errorf("first import: %s", out)
	}
	out = runCmd(t, 0, "import", "--history", csvPath, "--map", mapPath, "--data", data)
	if !strings.Contains(out, "3 leads, 0 new, 3 already stored, 0 activities") {
		t.Errorf("second import: %s", out)
	}
	if out := runCmd(t, 0, "audit", "--data", data); !strings.Contains(out, "Closed-loop audit: 3 leads") {
		t.Errorf("store audit: %s", out)
	}

	// Both configs from the stored stage (new): a reaches mql only at 60.
	want := []string{"mql→engaged"}
	got, _ := decodeReplay(t, runCmd(t, 0, "replay", "--config", candidate, "--data", data, "--at", at, "--format", "json"))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("store replay changes (-want +got):\n%s", diff)
	}
	got, _ = decodeReplay(t, runCmd(t, 0, "replay", "--config", candidate, "--history", csvPath, "--map", mapPath, "--at", at, "--format", "json"))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history replay changes (-want +got):\n%s", diff)
	}
	if out := runCmd(t, 0, "replay", "--config", candidate, "--data", data, "--at", at); !strings.Contains(out, "engaged") || !strings.Contains(out, "nothing written") {
		t.Errorf("text replay:\n%s", out)
	}

	// Apply stores the candidate's scores (none were stored) and stages
	// (a and b engaged); a second apply finds nothing left to write.
	_, r := decodeReplay(t, runCmd(t, 0, "replay", "--config", candidate, "--data", data, "--at", at, "--apply", "--format", "json"))
	if r.Applied == nil || r.Applied.Updated != 3 {
		t.Errorf("apply: %+v, want 3 leads updated", r.Applied)
	}
	_, r = decodeReplay(t, runCmd(t, 0, "replay", "--config", candidate, "--data", data, "--at", at, "--apply", "--format", "json"))
	if r.Applied == nil || r.Applied.Updated != 0 {
		t.Errorf("second apply: %+v, want nothing left to update", r.Applied)
	}
}

func TestReplayNeedsTheStoreToItself(t *testing.T) {
	dir, csvPath, mapPath, candidate := replayFixture(t)
	data := filepath.Join(dir, "data")
	runCmd(t, 0, "import", "--history", csvPath, "--map", mapPath, "--data", data)
	st, err := embedded.Open(filepath.Join(data, "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if out := runCmd(t, 1, "replay", "--config", candidate, "--data", data); !strings.Contains(out, "leadflow dev") {
		t.Errorf("locked store: %s", out)
	}
}

func TestReplayUsageErrors(t *testing.T) {
	_, csvPath, mapPath, candidate := replayFixture(t)
	for _, args := range [][]string{
		{},
		{"--config", candidate, "--history", csvPath},
		{"--config", candidate, "--history", csvPath, "--map", mapPath, "--apply"},
		{"--config", candidate, "--at", "yesterday"},
		{"--config", candidate, "--format", "yaml"},
	} {
		runCmd(t, 2, append([]string{"replay"}, args...)...)
	}
	if out := runCmd(t, 1, "replay", "--config", candidate, "--data", t.TempDir()); !strings.Contains(out, "no store at") {
		t.Errorf("missing store: %s", out)
	}
}
