package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/leadflow/leadflow/shared/audit"
	"github.com/leadflow/leadflow/shared/history"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/model"
)

func init() {
	register("audit", "closed-loop audit of scores against outcomes: audit --history FILE.csv --map MAPPING.yaml", runAudit)
}

const auditUsage = `usage: leadflow audit --history FILE.csv --map MAPPING.yaml [--model MODEL.json] [--bands 20,40,60,80] [--format json] [--chart FILE.svg]
  The score is the mapping's score column; without one, --model scores each lead (probability × 100).`

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("history", "", "history CSV")
	mapping := fs.String("map", "", "history mapping YAML")
	modelPath := fs.String("model", "", "model JSON that scores leads when the history has no score column")
	bands := fs.String("bands", "", "score band edges, comma-separated (default 10,20,…,90)")
	format := fs.String("format", "text", "text or json")
	chart := fs.String("chart", "", "write the won/lost score distributions as SVG to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	edges, err := parseBands(*bands)
	if *file == "" || *mapping == "" || fs.NArg() > 0 || (*format != "text" && *format != "json") || err != nil {
		if err != nil {
			fmt.Fprintf(stderr, "leadflow audit: %v\n", err)
		}
		fmt.Fprintln(stderr, auditUsage)
		return 2
	}
	ds, err := history.Load(*file, *mapping)
	if err != nil {
		fmt.Fprintf(stderr, "leadflow audit: %v\n", err)
		return 1
	}
	var m *model.Model
	if *modelPath != "" {
		if m, err = model.LoadModel(*modelPath); err != nil {
			fmt.Fprintf(stderr, "leadflow audit: %v\n", err)
			return 1
		}
	}
	recs, err := auditRecords(ds, m)
	if err != nil {
		fmt.Fprintf(stderr, "leadflow audit: %v\n", err)
		return 1
	}
	report, err := audit.New(recs, audit.Options{Bands: edges})
	if err != nil {
		fmt.Fprintf(stderr, "leadflow audit: %v\n", err)
		return 2
	}
	if *chart != "" {
		var svg bytes.Buffer
		if err := report.WriteSVG(&svg); err != nil {
			fmt.Fprintf(stderr, "leadflow audit: %v\n", err)
			return 1
		}
		if err := os.WriteFile(*chart, svg.Bytes(), 0o644); err != nil {
			fmt.Fprintf(stderr, "leadflow audit: write chart: %v\n", err)
			return 1
		}
	}
	if *format == "json" {
		err = json.NewEncoder(stdout).Encode(report)
	} else {
		err = report.WriteTable(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "leadflow audit: %v\n", err)
		return 1
	}
	return 0
}

// auditRecords turns imported history into audit records. The score is the
// history's own score column when the mapping has one, otherwise m's
// prediction scaled to 0–100; with neither there is nothing to audit.
func auditRecords(ds *history.Dataset, m *model.Model) ([]audit.Record, error) {
	if ds.Mapping.Score == nil && m == nil {
		return nil, lead.Errorf(lead.EINVALID, "the mapping has no score column: add score: {column: …} or pass --model")
	}
	if ds.Mapping.Score == nil {
		if err := m.Fits(ds.Mapping); err != nil {
			return nil, fmt.Errorf("score with the model: %w", err)
		}
	}
	out := make([]audit.Record, len(ds.Records))
	for i, r := range ds.Records {
		out[i] = audit.Record{
			Score: r.Score, HasScore: r.HasScore,
			Outcome: audit.Outcome(r.Outcome), Source: r.Source, CreatedAt: r.CreatedAt, Stage: r.Stage,
			SpeedToLead: r.SpeedToLead, HasSpeedToLead: r.HasSpeedToLead,
			SLATracked: r.HasSLA, SLABreached: r.SLABreached,
		}
		if ds.Mapping.Score == nil {
			p, _ := m.Predict(r.Features)
			out[i].Score, out[i].HasScore = 100*p, true
		}
	}
	return out, nil
}

// parseBands reads comma-separated band edges; empty means the default.
func parseBands(s string) ([]float64, error) {
	if s == "" {
		return nil, nil
	}
	var out []float64
	for f := range strings.SplitSeq(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("--bands: %q is not a number", f)
		}
		out = append(out, v)
	}
	return out, nil
}
