package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/config"
)

func init() {
	register("test", "run the config's scenarios, PASS/FAIL with a diff: test [FILE] [--at TIME] [-v]", runTest)
}

func runTest(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	at := fs.String("at", "", "clock for scenarios without their own `at` (RFC 3339; default now)")
	verbose := fs.Bool("v", false, "print each scenario's stage cause, score and routing")
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) > 1 {
		fmt.Fprintln(stderr, "usage: leadflow test [FILE] [--at TIME] [-v]")
		return 2
	}
	now, err := parseAt(*at)
	if err != nil {
		fmt.Fprintf(stderr, "leadflow test: %v\n", err)
		return 2
	}
	path := configPath(first(pos))
	cfg, ok := openConfig(path, stderr)
	if !ok {
		return 1
	}
	results := config.RunScenarios(cfg, now)
	failed := 0
	for _, r := range results {
		if r.Passed {
			fmt.Fprintf(stdout, "PASS %s\n", r.Name)
		} else {
			failed++
			fmt.Fprintf(stdout, "FAIL %s\n%s", r.Name, indent(r.Diff))
		}
		if *verbose {
			o := r.Outcome
			fmt.Fprintf(stdout, "    stage %s (%s); total %g = fit %g + intent %g + timing %g\n", o.Stage, orDash(o.Cause), o.Score.Total, o.Score.Fit, o.Score.Intent, o.Score.Timing)
			if o.Decision != nil {
				for _, line := range o.Decision.Explain() {
					fmt.Fprintf(stdout, "    %s\n", line)
				}
			}
		}
	}
	if len(results) == 0 {
		fmt.Fprintf(stdout, "no scenarios in %s\n", configName(path))
		return 0
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "FAIL: %d of %d scenarios\n", failed, len(results))
		return 1
	}
	fmt.Fprintf(stdout, "ok: %d scenarios\n", len(results))
	return 0
}

// parseAt reads an RFC 3339 time; "" means now.
func parseAt(s string) (time.Time, error) {
	if s == "" {
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--at %q: want RFC 3339, e.g. 2025-06-03T15:00:00Z", s)
	}
	return t, nil
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return "    " + strings.Join(lines, "\n    ") + "\n"
}

func orDash(s string) string {
	if s == "" {
		return "unchanged"
	}
	return s
}
