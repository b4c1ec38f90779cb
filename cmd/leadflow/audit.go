package main

import (
	"bytes"
	"cmp"
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
	"github.com/leadflow/leadflow/shared/history/mappingfile"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/model"
	"github.com/leadflow/leadflow/shared/replay"
)

func init() {
	register("audit", "closed-loop audit of scores against outcomes: audit [--data DIR | --history FILE.csv --map MAPPING.yaml]", runAudit)
}

const auditUsage = `usage: leadflow audit [--data DIR | --history FILE.csv --map MAPPING.yaml [--model MODEL.json]] [--bands 20,40,60,80] [--format json] [--chart FILE.svg]
  Without --history, audits the leads of the embedded store DIR/store.db (default ./.data) by their
  stored scores; it needs the store to itself: stop ` + "`leadflow dev`" + ` first.
  With --history, the score is the mapping's score column; without one, --model scores each lead (probability × 100).`

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("history", "", "history CSV")
	mapping := fs.String("map", "", "history mapping YAML")
	modelPath := fs.String("model", "", "model JSON that scores leads when the history has no score column")
	bands := fs.String("bands", "", "score band edges, comma-separated (default 10,20,…,90)")
	format := fs.String("format", "text", "text or json")
	chart := fs.String("chart", "", "write the won/lost score distributions as SVG to this file")
	data := fs.String("data", "", "data directory of the embedded store to audit when --history is not given (default ./.data)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	edges, err := parseBands(*bands)
	fromStore := *file == "" && *mapping == "" && *modelPath == ""
	if (!fromStore && (*file == "" || *mapping == "" || *data != "")) || fs.NArg() > 0 || (*format != "text" && *format != "json") || err != nil {
		if err != nil {
			fmt.Fprintf(stderr, "leadflow audit: %v\n", err)
		}
		fmt.Fprintln(stderr, auditUsage)
		return 2
	}
	var recs []audit.Record
	if fromStore {
		recs, err = storeAuditRecords(ctx, cmp.Or(*data, ".data"))
	} else {
		recs, err = historyAuditRecords(*file, *mapping, *modelPath)
	}
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

// historyAuditRecords loads a history file and, when modelPath is set, the
// model that scores it, and turns it into audit records.
func historyAuditRecords(file, mapping, modelPath string) ([]audit.Record, error) {
	ds, err := mappingfile.LoadDataset(file, mapping)
	if err != nil {
		return nil, err
	}
	var m *model.Model
	if modelPath != "" {
		if m, err = model.LoadModel(modelPath); err != nil {
			return nil, err
		}
	}
	return auditRecords(ds, m)
}

// storeAuditRecords reads every lead of the embedded store in dir as an
// audit record, with its stored score and stage.
func storeAuditRecords(ctx context.Context, dir string) ([]audit.Record, error) {
	st, err := openStore(dir, false)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var recs []audit.Record
	err = st.ScanLeads(ctx, func(l *lead.Lead) error {
		recs = append(recs, replay.AuditRecord(l, l.Score, l.Stage))
		return nil
	})
	return recs, err
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
