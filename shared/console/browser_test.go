package console_test

import (
	"context"
	"github.com/leadflow/leadflow/internal/repotest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestBrowser drives the console in headless Chromium through
// e2e/run.mjs (playwright-core): log in, submit a demo lead through the
// public form, find it, open it, check reasons and owner, mark it contacted
// and see the SLA timer stop, and screenshot every page into
// artifacts/console/. `make test` installs Chromium and playwright-core
// first; outside CI a machine without them skips the test, in CI
// (CI=true) their absence fails it.
func TestBrowser(t *testing.T) {
	root := repotest.Root(t)
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	missing := ""
	if _, err := os.Stat(chromium); err != nil {
		missing = "chromium (" + chromium + ")"
	} else if _, err := exec.LookPath("node"); err != nil {
		missing = "node"
	} else if _, err := os.Stat(filepath.Join(root, "node_modules", "playwright-core")); err != nil {
		missing = "node_modules/playwright-core (npm ci)"
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("browser test needs %s: `make test` installs it", missing)
		}
		t.Skipf("browser test skipped: %s is not installed (make test installs it)", missing)
	}
	h := newHarness(t)
	artifacts := filepath.Join(root, "artifacts", "console")
	// Only this run's screenshots: a stale failure.png misleads.
	if err := os.RemoveAll(artifacts); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(root, "shared", "console", "e2e", "run.mjs"), h.base, token, artifacts)
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	t.Logf("browser test output:\n%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v", err)
	}
	shots, _ := filepath.Glob(filepath.Join(artifacts, "*.png"))
	if len(shots) < 11 {
		t.Fatalf("%d screenshots in %s, want one per page (11)", len(shots), artifacts)
	}
}
