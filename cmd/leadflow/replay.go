package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leadflow/leadflow/shared/audit"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/replay"
)

func init() {
	register("replay", "what-if: re-score and re-route stored leads under a candidate config: replay --config CANDIDATE.yaml", runReplay)
}

const replayUsage = `usage: leadflow replay --config CANDIDATE.yaml [--current CONFIG.yaml] [--data DIR | --history FILE.csv --map MAPPING.yaml [--activity SIGNAL=TYPE,…]]
                       [--at 2025-06-01T09:00:00Z] [--apply] [--format json] [--bands 20,40,60,80]
  Re-scores and re-routes every lead of the embedded store DIR/store.db (default ./.data), or
  of an imported history file, under the current config (default ./leadflow.yaml, else the
  shipped one) and the candidate, with one clock (--at, default now). Reports the stage counts,
  every lead whose stage or owner changes with the reasons that differ, and the audit under both.
  Nothing is written unless --apply (store only): then the candidate's scores and stages are
  stored, skipping leads changed meanwhile. The store needs exclusive access: stop ` + "`leadflow dev`" + ` first.`

func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	candidatePath := fs.String("config", "", "the candidate config")
	currentPath := fs.String("current", "", "the live config (default ./leadflow.yaml if present, else the shipped one)")
	data := fs.String("data", "", "data directory of the embedded store (default ./.data)")
	file := fs.String("history", "", "replay an imported history CSV instead of the store")
	mapping := fs.String("map", "", "history mapping YAML (with --history)")
	activity := fs.String("activity", "", "history signals to turn into activities, as SIGNAL=TYPE pairs (with --history)")
	atFlag := fs.String("at", "", "the clock, RFC 3339 (default now)")
	apply := fs.Bool("apply", false, "store the candidate's scores and stages")
	format := fs.String("format", "text", "text or json")
	bands := fs.String("bands", "", "audit score band edges, comma-separated")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	edges, bandErr := parseBands(*bands)
	acts, actErr := parseActivityMap(*activity)
	at, atErr := parseAt(*atFlag)
	fromHistory := *file != "" || *mapping != ""
	switch err := errors.Join(bandErr, actErr, atErr); {
	case err != nil:
		fmt.Fprintf(stderr, "leadflow replay: %v\n", err)
	case *candidatePath == "" || fs.NArg() > 0 || (*format != "text" && *format != "json"):
	case fromHistory && (*file == "" || *mapping == "" || *data != "" || *apply):
		fmt.Fprintln(stderr, "leadflow replay: --history needs --map, and excludes --data and --apply")
	default:
		return replayRun(ctx, replayArgs{candidate: *candidatePath, current: *currentPath, data: *data, file: *file, mapping: *mapping, acts: acts, at: at, apply: *apply, json: *format == "json", bands: edges}, stdout, stderr)
	}
	fmt.Fprintln(stderr, replayUsage)
	return 2
}

type replayArgs struct {
	candidate, current, data, file, mapping string
	acts                                    map[string]lead.ActivityType
	at                                      time.Time
	apply, json                             bool
	bands                                   []float64
}

func replayRun(ctx context.Context, a replayArgs, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "leadflow replay: %v\n", err)
		return 1
	}
	candidate, ok := openConfig(a.candidate, stderr)
	if !ok {
		return 1
	}
	current, ok := openConfig(configPath(a.current), stderr)
	if !ok {
		return 1
	}
	opts := replay.Options{Current: current, Candidate: candidate, At: a.at, Bands: a.bands}
	var (
		report  *replay.Report
		applied *replay.Applied
		err     error
	)
	if a.file != "" {
		items, err := loadHistory(a.file, a.mapping, a.acts)
		if err != nil {
			return fail(err)
		}
		if report, err = replay.Run(ctx, replay.NewMemory(items), opts); err != nil {
			return fail(err)
		}
	} else {
		dir := cmp.Or(a.data, ".data")
		st, err := openStore(dir, false)
		if err != nil {
			return fail(err)
		}
		defer st.Close()
		if report, err = replay.Run(ctx, st, opts); err != nil {
			return fail(err)
		}
		if a.apply {
			res, err := report.Apply(ctx, st)
			if err != nil {
				return fail(err)
			}
			applied = &res
		}
	}
	if a.json {
		err = json.NewEncoder(stdout).Encode(struct {
			*replay.Report
			Applied *replay.Applied `json:"applied,omitempty"`
		}{report, applied})
	} else {
		err = writeReplay(stdout, report, applied)
	}
	if err != nil {
		return fail(err)
	}
	return 0
}

// writeReplay prints the report as text: stage counts, every change with
// its differing reasons, the audit under both configs, what was applied.
func writeReplay(w io.Writer, r *replay.Report, applied *replay.Applied) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "replay of %d leads at %s: current %q → candidate %q\n\n", r.Leads, r.At.Format(time.RFC3339), r.Current, r.Candidate)
	fmt.Fprintln(tw, "stage\tbefore\tafter\tΔ")
	for _, s := range r.Stages {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%+d\n", s.Stage, s.Before, s.After, s.After-s.Before)
	}
	fmt.Fprintf(tw, "\n%d leads rescored, %d change stage or owner\n", r.Rescored, len(r.Changes))
	if len(r.Changes) > 0 {
		fmt.Fprintln(tw, "lead\tstage\towner\ttotal\treasons")
	}
	for _, c := range r.Changes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s → %s\t%s\n", c.LeadID, arrow(string(c.Before.Stage), string(c.After.Stage)), arrow(orDash(c.Before.Owner), orDash(c.After.Owner)),
			num(c.Before.Total), num(c.After.Total), reasonDiffs(c.Reasons))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, side := range []struct {
		name string
		rep  *audit.Report
	}{{"current config", r.Audit.Before}, {"candidate", r.Audit.After}} {
		fmt.Fprintf(w, "\naudit under the %s:\n", side.name)
		if err := side.rep.WriteTable(w); err != nil {
			return err
		}
	}
	if applied != nil {
		fmt.Fprintf(w, "\napplied: %d leads updated, %d changed since the replay and left alone", applied.Updated, len(applied.Conflicts))
		if len(applied.Conflicts) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(applied.Conflicts, ", "))
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintln(w, "\nnothing written (--apply writes the candidate's scores and stages)")
	}
	return nil
}

func arrow(from, to string) string {
	if from == to {
		return from
	}
	return from + " → " + to
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// reasonDiffs renders "+demo_request 30, -icp_title 15, pricing_page 10→40".
func reasonDiffs(ds []replay.ReasonDiff) string {
	if len(ds) == 0 {
		return "same reasons"
	}
	parts := make([]string, len(ds))
	for i, d := range ds {
		switch d.Change {
		case "added":
			parts[i] = fmt.Sprintf("+%s %s", d.Code, num(d.After))
		case "removed":
			parts[i] = fmt.Sprintf("-%s %s", d.Code, num(d.Before))
		default:
			parts[i] = fmt.Sprintf("%s %s→%s", d.Code, num(d.Before), num(d.After))
		}
	}
	return strings.Join(parts, ", ")
}
