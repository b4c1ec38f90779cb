package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// client talks to a running `leadflow dev`.
type client struct {
	base  string
	token string
	http  *http.Client
}

// clientFlags adds --addr and --token to a command's flags.
func clientFlags(fs *flag.FlagSet) func() *client {
	addr := fs.String("addr", envOr("LEADFLOW_ADDR", "127.0.0.1:8080"), "address of leadflow dev (env LEADFLOW_ADDR)")
	token := fs.String("token", envOr("LEADFLOW_TOKEN", "dev-token"), "bearer token (env LEADFLOW_TOKEN)")
	return func() *client {
		base := *addr
		if !strings.Contains(base, "://") {
			base = "http://" + base
		}
		return &client{base: strings.TrimRight(base, "/"), token: *token, http: &http.Client{Timeout: waitTimeout}}
	}
}

// apiError is an error answer of the API.
type apiError struct {
	Status  int
	Code    string
	Message string
	Field   string
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
	if e.Field != "" {
		msg += " (field " + e.Field + ")"
	}
	return msg
}

// do sends a request with a JSON body (or raw body with its content type)
// and decodes a JSON answer into out. Non-2xx answers become *apiError.
func (c *client) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd, ct = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("is leadflow dev running at %s? %w", c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message, Field string } `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		return &apiError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message, Field: e.Error.Field}
	}
	if out != nil && len(raw) > 0 {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// parseArgs parses flags that may come before or after the positional
// arguments (`leadflow lead ID --json` and `leadflow lead --json ID`).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func init() {
	register("submit", "post a form to leadflow dev: submit [--form NAME] field=value …", runSubmit)
	register("lead", "explain a lead: stage, scores, reasons, owner and why, history", runLead)
	register("outbox", "show notifications and emails sent by leadflow dev", runOutbox)
	register("dlq", "dead letters: dlq list | dlq redrive [--consumer C] [ID …]", runDLQ)
	register("clock", "move a manual clock: clock advance 72h", runClock)
	register("sweep", "run the inactivity sweep now: sweep --now", runSweep)
}

func runSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("submit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	form := fs.String("form", "demo-request", "form name")
	key := fs.String("idempotency-key", "", "Idempotency-Key header")
	wait := fs.Bool("wait", false, "wait until the pipeline is idle, then explain the lead")
	mk := clientFlags(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	fields := url.Values{}
	for _, kv := range pos {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			fmt.Fprintf(stderr, "leadflow submit: %q is not field=value\n", kv)
			return 2
		}
		fields.Set(k, v)
	}
	c := mk()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/forms/"+url.PathEscape(*form), strings.NewReader(fields.Encode()))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if *key != "" {
		req.Header.Set("Idempotency-Key", *key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "leadflow submit: is leadflow dev running at %s? %v\n", c.base, err)
		return 1
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	fmt.Fprintf(stdout, "%d %s\n", resp.StatusCode, strings.TrimSpace(string(raw)))
	if resp.StatusCode != http.StatusAccepted {
		return 1
	}
	if !*wait {
		return 0
	}
	var out struct {
		LeadID string `json:"lead_id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := c.do(ctx, http.MethodPost, "/v1/_settle", nil, nil); err != nil {
		fmt.Fprintf(stderr, "leadflow submit: %v\n", err)
		return 1
	}
	return explain(ctx, c, out.LeadID, stdout, stderr)
}

func runLead(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lead", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the raw JSON")
	mk := clientFlags(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: leadflow lead ID|EMAIL [--json]")
		return 2
	}
	c := mk()
	if *asJSON {
		var raw json.RawMessage
		if err := c.do(ctx, http.MethodGet, leadPath(pos[0]), nil, &raw); err != nil {
			fmt.Fprintf(stderr, "leadflow lead: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, string(raw))
		return 0
	}
	return explain(ctx, c, pos[0], stdout, stderr)
}

func leadPath(ref string) string {
	if strings.Contains(ref, "@") {
		return "/v1/leads?email=" + url.QueryEscape(ref)
	}
	return "/v1/leads/" + url.PathEscape(ref)
}

// leadDoc is the part of GET /v1/leads/{id} the explanation prints.
type leadDoc struct {
	ID      string `json:"id"`
	Profile struct {
		Email     string `json:"email"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Title     string `json:"title"`
		Company   string `json:"company"`
		Country   string `json:"country"`
		State     string `json:"state"`
		Industry  string `json:"industry"`
		Employees int    `json:"employees"`
	} `json:"profile"`
	Stage string `json:"stage"`
	Score struct {
		Total, Fit, Intent, Timing, Predicted float64
	} `json:"score"`
	Reasons []struct {
		Code   string  `json:"code"`
		Points float64 `json:"points"`
		Layer  string  `json:"layer"`
		Detail string  `json:"detail"`
	} `json:"reasons"`
	Owner   *string `json:"owner"`
	Team    string  `json:"team"`
	Queue   string  `json:"queue"`
	Routing *struct {
		Rule        string   `json:"rule"`
		Explanation []string `json:"explanation"`
	} `json:"routing"`
	Enrichment struct {
		Status   string `json:"status"`
		Provider string `json:"provider"`
		Error    string `json:"error"`
	} `json:"enrichment"`
	Touches []struct {
		Step    int       `json:"step"`
		Channel string    `json:"channel"`
		At      time.Time `json:"at"`
	} `json:"touches"`
	History []struct {
		At    time.Time `json:"at"`
		Kind  string    `json:"kind"`
		From  string    `json:"from"`
		To    string    `json:"to"`
		Cause string    `json:"cause"`
	} `json:"history"`
}

func explain(ctx context.Context, c *client, ref string, stdout, stderr io.Writer) int {
	var l leadDoc
	if err := c.do(ctx, http.MethodGet, leadPath(ref), nil, &l); err != nil {
		fmt.Fprintf(stderr, "leadflow lead: %v\n", err)
		return 1
	}
	p := l.Profile
	fmt.Fprintf(stdout, "lead %s  %s %s, %s at %s (%d employees, %s, %s %s)\n", l.ID, p.FirstName, p.LastName, p.Title, p.Company, p.Employees, p.Industry, p.State, p.Country)
	fmt.Fprintf(stdout, "stage      %s\n", l.Stage)
	fmt.Fprintf(stdout, "score      %g  (fit %g, intent %g, timing %g", l.Score.Total, l.Score.Fit, l.Score.Intent, l.Score.Timing)
	if l.Score.Predicted != 0 {
		fmt.Fprintf(stdout, ", predicted %g", l.Score.Predicted)
	}
	fmt.Fprintln(stdout, ")")
	fmt.Fprintln(stdout, "reasons")
	for _, r := range l.Reasons {
		fmt.Fprintf(stdout, "  %+7.2f  %-26s %s %s\n", r.Points, r.Code, r.Layer, r.Detail)
	}
	switch {
	case l.Owner != nil:
		fmt.Fprintf(stdout, "owner      %s (team %s)\n", *l.Owner, l.Team)
	case l.Queue != "":
		fmt.Fprintf(stdout, "owner      none: waiting in %s (team %s)\n", l.Queue, l.Team)
	default:
		fmt.Fprintln(stdout, "owner      none (not routed)")
	}
	if l.Routing != nil {
		fmt.Fprintf(stdout, "routed by  %s\n", l.Routing.Rule)
		for _, e := range l.Routing.Explanation {
			fmt.Fprintf(stdout, "  %s\n", e)
		}
	}
	fmt.Fprintf(stdout, "enrichment %s %s %s\n", l.Enrichment.Status, l.Enrichment.Provider, l.Enrichment.Error)
	if len(l.Touches) > 0 {
		fmt.Fprintln(stdout, "touches")
		for _, t := range l.Touches {
			fmt.Fprintf(stdout, "  step %d %-17s %s\n", t.Step, t.Channel, t.At.Format(time.RFC3339))
		}
	}
	fmt.Fprintln(stdout, "history")
	for _, h := range l.History {
		fmt.Fprintf(stdout, "  %s  %-10s %s → %s  (%s)\n", h.At.Format(time.RFC3339), h.Kind, h.From, h.To, h.Cause)
	}
	return 0
}

func runOutbox(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("outbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	leadID := fs.String("lead", "", "only this lead")
	to := fs.String("to", "", "only this recipient (rep or manager id)")
	mk := clientFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var out struct {
		Entries []map[string]any `json:"entries"`
	}
	q := url.Values{}
	if *leadID != "" {
		q.Set("lead_id", *leadID)
	}
	if *to != "" {
		q.Set("to", *to)
	}
	if err := mk().do(ctx, http.MethodGet, "/v1/_outbox?"+q.Encode(), nil, &out); err != nil {
		fmt.Fprintf(stderr, "leadflow outbox: %v\n", err)
		return 1
	}
	for _, e := range out.Entries {
		fmt.Fprintf(stdout, "%v  %-12v to %-12v lead %v  %v\n", e["at"], e["kind"], e["to"], e["lead_id"], e["subject"])
	}
	fmt.Fprintf(stdout, "%d entries\n", len(out.Entries))
	return 0
}

func runDLQ(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "list" && args[0] != "redrive") {
		fmt.Fprintln(stderr, "usage: leadflow dlq list|redrive [--consumer C] [ID …]")
		return 2
	}
	fs := flag.NewFlagSet("dlq", flag.ContinueOnError)
	fs.SetOutput(stderr)
	consumer := fs.String("consumer", "", "only this consumer's dead letters")
	mk := clientFlags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	c := mk()
	if args[0] == "redrive" {
		var out struct {
			Redriven int `json:"redriven"`
		}
		body := map[string]any{"consumer": *consumer, "ids": fs.Args()}
		if err := c.do(ctx, http.MethodPost, "/v1/_dlq/redrive", body, &out); err != nil {
			fmt.Fprintf(stderr, "leadflow dlq: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "redriven %d\n", out.Redriven)
		return 0
	}
	var out struct {
		DeadLetters []map[string]any `json:"dead_letters"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/_dlq?consumer="+url.QueryEscape(*consumer), nil, &out); err != nil {
		fmt.Fprintf(stderr, "leadflow dlq: %v\n", err)
		return 1
	}
	for _, d := range out.DeadLetters {
		keys := make([]string, 0, len(d))
		for k := range d {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s=%v", k, d[k])
		}
		fmt.Fprintln(stdout, strings.Join(parts, "  "))
	}
	fmt.Fprintf(stdout, "%d dead letters\n", len(out.DeadLetters))
	return 0
}

func runClock(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 || args[0] != "advance" {
		fmt.Fprintln(stderr, "usage: leadflow clock advance DURATION (e.g. 72h)")
		return 2
	}
	fs := flag.NewFlagSet("clock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mk := clientFlags(fs)
	if err := fs.Parse(args[2:]); err != nil {
		return 2
	}
	var out struct {
		Now time.Time `json:"now"`
	}
	if err := mk().do(ctx, http.MethodPost, "/v1/_clock/advance", map[string]string{"by": args[1]}, &out); err != nil {
		fmt.Fprintf(stderr, "leadflow clock: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "now %s\n", out.Now.Format(time.RFC3339))
	return 0
}

func runSweep(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	now := fs.Bool("now", false, "run the daily sweep now")
	mk := clientFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if !*now {
		fmt.Fprintln(stderr, "usage: leadflow sweep --now")
		return 2
	}
	var out struct {
		Requested int `json:"requested"`
	}
	if err := mk().do(ctx, http.MethodPost, "/v1/_sweep", nil, &out); err != nil {
		fmt.Fprintf(stderr, "leadflow sweep: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "re-enrichment requested for %d inactive leads\n", out.Requested)
	return 0
}
