package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/lead"
)

func init() {
	register("score", "score leads from a JSON-lines file, no store: score FILE.jsonl [--config FILE] [--at TIME]", runScore)
}

// scoreUsage documents the input format.
const scoreUsage = `usage: leadflow score FILE.jsonl [--config FILE] [--at TIME]

Reads one JSON object per line ("-" reads standard input):
  {"id": "optional, echoed back",
   "form": "optional form name: its field map applies to lead",
   "lead": {"email": "...", "title": "...", "employees": 250, ...},
   "account": {"industry": "...", "employees": 250, "country": "US", "tech": ["..."]},
   "account_owner": "optional rep id already owning the account",
   "stage": "optional current stage (default new)",
   "activities": [{"type": "page_view", "url": "https://…/pricing",
                   "occurred_at": "2025-06-01T10:00:00Z" or "days_ago": 3,
                   "form": "demo-request"}]}
Writes one JSON object per line: id/line, stage, cause, score per layer,
reasons and, when the lead reaches sql, the routing decision. A line that
cannot be scored yields {"line": N, "error": "..."}; the exit code is then 1.
`

func runScore(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("score", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, scoreUsage) }
	cfgPath := fs.String("config", "", "config file (default ./leadflow.yaml, else the shipped config)")
	at := fs.String("at", "", "scoring clock, RFC 3339 (default now)")
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) != 1 {
		fs.Usage()
		return 2
	}
	now, err := parseAt(*at)
	if err != nil {
		fmt.Fprintf(stderr, "leadflow score: %v\n", err)
		return 2
	}
	cfg, ok := openConfig(configPath(*cfgPath), stderr)
	if !ok {
		return 1
	}
	in := io.Reader(os.Stdin)
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			fmt.Fprintf(stderr, "leadflow score: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	failed, err := scoreLines(cfg, in, stdout, now)
	if err != nil {
		fmt.Fprintf(stderr, "leadflow score: %v\n", err)
		return 1
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "leadflow score: %d line(s) could not be scored\n", failed)
		return 1
	}
	return 0
}

type scoreInput struct {
	ID           string          `json:"id"`
	Form         string          `json:"form"`
	Lead         map[string]any  `json:"lead"`
	Account      *lead.Account   `json:"account"`
	AccountOwner string          `json:"account_owner"`
	Stage        lead.Stage      `json:"stage"`
	Activities   []activityInput `json:"activities"`
}

type activityInput struct {
	Type       lead.ActivityType `json:"type"`
	OccurredAt *time.Time        `json:"occurred_at"`
	DaysAgo    *float64          `json:"days_ago"`
	URL        string            `json:"url"`
	Form       string            `json:"form"`
}

type scoreOutput struct {
	ID      string        `json:"id,omitempty"`
	Line    int           `json:"line"`
	Error   string        `json:"error,omitempty"`
	Stage   lead.Stage    `json:"stage,omitempty"`
	Cause   string        `json:"cause,omitempty"`
	Score   *layers       `json:"score,omitempty"`
	Reasons []lead.Reason `json:"reasons,omitempty"`
	Routing *routeOutput  `json:"routing,omitempty"`
}

type layers struct {
	Total  float64 `json:"total"`
	Fit    float64 `json:"fit"`
	Intent float64 `json:"intent"`
	Timing float64 `json:"timing"`
}

type routeOutput struct {
	Owner        string   `json:"owner,omitempty"`
	Team         string   `json:"team,omitempty"`
	Queue        string   `json:"queue,omitempty"`
	Rule         string   `json:"rule"`
	ManagerAlert bool     `json:"manager_alert,omitempty"`
	Explanation  []string `json:"explanation"`
}

// maxScoreLine bounds one input line; a lead with its activities is small.
const maxScoreLine = 4 << 20

// scoreLines scores every line of r and writes one result line each to w.
// It returns how many lines failed; err is an I/O failure.
func scoreLines(cfg *config.Config, r io.Reader, w io.Writer, now time.Time) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxScoreLine)
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	failed, n := 0, 0
	for sc.Scan() {
		n++
		if len(sc.Bytes()) == 0 {
			continue
		}
		out := scoreLine(cfg, sc.Bytes(), now)
		out.Line = n
		if out.Error != "" {
			failed++
		}
		if err := enc.Encode(out); err != nil {
			return failed, fmt.Errorf("write result: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return failed, fmt.Errorf("read line %d: %w", n+1, err)
	}
	return failed, bw.Flush()
}

func scoreLine(cfg *config.Config, data []byte, now time.Time) scoreOutput {
	var in scoreInput
	if err := json.Unmarshal(data, &in); err != nil {
		return scoreOutput{Error: "bad JSON: " + err.Error()}
	}
	out := scoreOutput{ID: in.ID}
	fields := make(map[string]string, len(in.Lead))
	for k, v := range in.Lead {
		switch v := v.(type) {
		case string:
			fields[k] = v
		case float64:
			fields[k] = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			fields[k] = strconv.FormatBool(v)
		case nil:
		default:
			out.Error = fmt.Sprintf("lead.%s: want a string, number or boolean", k)
			return out
		}
	}
	if in.Form != "" {
		f, ok := cfg.Forms[in.Form]
		if !ok {
			out.Error = fmt.Sprintf("unknown form %q", in.Form)
			return out
		}
		fields = f.Canonical(fields)
	}
	l, err := lead.Parse(fields)
	if err != nil {
		out.Error = "lead: " + err.Error()
		return out
	}
	if in.Stage != "" {
		if !in.Stage.Valid() {
			out.Error = fmt.Sprintf("unknown stage %q", in.Stage)
			return out
		}
		l.Stage = in.Stage
	}
	acts := make([]lead.Activity, 0, len(in.Activities))
	for i, a := range in.Activities {
		act := lead.Activity{ID: strconv.Itoa(i), Type: a.Type, URL: a.URL, Form: a.Form}
		switch {
		case a.OccurredAt != nil:
			act.OccurredAt = *a.OccurredAt
		case a.DaysAgo != nil:
			act.OccurredAt = now.Add(-time.Duration(*a.DaysAgo * float64(24*time.Hour)))
		default:
			out.Error = fmt.Sprintf("activities[%d]: needs occurred_at or days_ago", i)
			return out
		}
		acts = append(acts, act)
	}
	if in.Account != nil && in.Account.Domain == "" {
		in.Account.Domain = l.Domain
	}
	o := cfg.Evaluate(l, in.Account, acts, in.AccountOwner, now)
	out.Stage, out.Cause, out.Reasons = o.Stage, o.Cause, o.Score.Reasons
	out.Score = &layers{Total: o.Score.Total, Fit: o.Score.Fit, Intent: o.Score.Intent, Timing: o.Score.Timing}
	if d := o.Decision; d != nil {
		out.Routing = &routeOutput{Owner: d.Owner, Team: d.Team, Queue: d.Queue, Rule: d.Rule, ManagerAlert: d.ManagerAlert, Explanation: d.Explain()}
	}
	return out
}
