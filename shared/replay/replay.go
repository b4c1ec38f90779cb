// Package replay answers "what if this config were live?" (SPEC §8): it
// re-scores and re-routes stored or imported leads under the current and a
// candidate config with one clock, and reports every lead whose stage or
// owner would change, the stage counts and the closed-loop audit under both.
// It also turns an imported CRM history into leads (FromHistory, Import) and
// stored leads into audit records (AuditRecord).
//
// A replay uses the engines the pipeline uses — the config's scoring model
// (Score, then NextStage from the lead's stored stage) and its router — so
// it predicts what the pipeline would do, not an approximation of it.
package replay

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/leadflow/leadflow/shared/audit"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/routing"
)

// Source is the read side of the Store port a replay needs. Its errors are
// the port's.
type Source interface {
	ScanLeads(ctx context.Context, fn func(*lead.Lead) error) error
	Activities(ctx context.Context, leadID string) ([]lead.Activity, error)
	GetAccount(ctx context.Context, domain string) (*lead.Account, error)
}

// Options say what to replay.
type Options struct {
	Current   *config.Config // the config the leads live under
	Candidate *config.Config // the config to try
	At        time.Time      // the clock both run at
	Bands     []float64      // audit score bands; nil takes audit.DefaultBands
}

// Outcome is where a lead ends under one config.
type Outcome struct {
	Stage lead.Stage `json:"stage"`
	Owner string     `json:"owner,omitempty"` // rep id, or "queue:<queue>"
	Total float64    `json:"total"`
}

// ReasonDiff is one reason code whose points differ between the configs.
type ReasonDiff struct {
	Code   string  `json:"code"`
	Change string  `json:"change"` // added, removed or changed
	Before float64 `json:"before"`
	After  float64 `json:"after"`
}

// Change is a lead whose stage or owner differs under the candidate.
type Change struct {
	LeadID  string       `json:"lead_id"`
	Before  Outcome      `json:"before"`
	After   Outcome      `json:"after"`
	Cause   string       `json:"cause,omitempty"` // the candidate's stage cause
	Reasons []ReasonDiff `json:"reasons"`
}

// StageCount is the number of leads at a stage under both configs.
type StageCount struct {
	Stage  lead.Stage `json:"stage"`
	Before int        `json:"before"`
	After  int        `json:"after"`
}

// Report is the outcome of a replay.
type Report struct {
	At        time.Time    `json:"at"`
	Current   string       `json:"current_version"`
	Candidate string       `json:"candidate_version"`
	Leads     int          `json:"leads"`
	Rescored  int          `json:"rescored"` // leads whose total differs between the configs
	Stages    []StageCount `json:"stages"`
	Changes   []Change     `json:"changes"`
	Audit     struct {
		Before *audit.Report `json:"before"`
		After  *audit.Report `json:"after"`
	} `json:"audit"`

	// updates are the candidate's scores and stages that differ from the
	// stored ones: what Apply writes.
	updates []update
	version string
}

// update is a candidate result that differs from the stored lead.
type update struct {
	id      string
	version int64 // the stored version the result was computed from
	score   lead.Score
	stage   lead.Stage
	cause   string
}

// side is one config's run over the leads: its engines and the routing
// state that accumulates as leads are routed in order.
type side struct {
	cfg      *config.Config
	counters routing.MemCounters
	loads    routing.MemLoads
	owners   map[string]string // account domain → owner, claimed as leads route
	stages   map[lead.Stage]int
	audit    []audit.Record
}

// Run replays every lead of src under opts.Current and opts.Candidate at
// opts.At. For each config a lead is scored, NextStage decides its stage
// from the stored stage, and a lead that reaches sql without being routed
// is routed, in lead-ID order, with rotation counters starting at zero and
// rep loads and account owners seeded from the stored leads and accounts —
// both configs start from the same state, so a difference is the config's.
// A lead already routed keeps its owner (first route wins). Returns the
// source's errors wrapped, and EINVALID when a config or the clock is
// missing or an audit band is bad.
func Run(ctx context.Context, src Source, opts Options) (*Report, error) {
	if opts.Current == nil || opts.Candidate == nil || opts.At.IsZero() {
		return nil, lead.Errorf(lead.EINVALID, "replay: both configs and the clock are required")
	}
	var leads []*lead.Lead
	if err := src.ScanLeads(ctx, func(l *lead.Lead) error {
		leads = append(leads, l)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	slices.SortFunc(leads, func(a, b *lead.Lead) int { return cmp.Compare(a.ID, b.ID) })

	loads := routing.MemLoads{}
	for _, l := range leads {
		if l.Owner != "" && (l.Stage == lead.StageSQL || l.Stage == lead.StageSAL) {
			loads[l.Owner]++
		}
	}
	accounts := map[string]*lead.Account{}
	before, after := newSide(opts.Current, loads), newSide(opts.Candidate, loads)
	r := &Report{At: opts.At, Current: opts.Current.Version, Candidate: opts.Candidate.Version, Leads: len(leads), Changes: []Change{}, version: opts.Candidate.Version}
	for _, l := range leads {
		acts, err := src.Activities(ctx, l.ID)
		if err != nil {
			return nil, fmt.Errorf("replay lead %s: %w", l.ID, err)
		}
		acct, err := account(ctx, src, accounts, l.Domain)
		if err != nil {
			return nil, fmt.Errorf("replay lead %s: %w", l.ID, err)
		}
		b, a := before.run(l, acct, acts, opts.At), after.run(l, acct, acts, opts.At)
		if b.score.Total != a.score.Total {
			r.Rescored++
		}
		if b.out.Stage != a.out.Stage || b.out.Owner != a.out.Owner {
			r.Changes = append(r.Changes, Change{LeadID: l.ID, Before: b.out, After: a.out, Cause: a.cause, Reasons: diffReasons(b.score, a.score)})
		}
		if a.out.Stage != l.Stage || !sameScore(l.Score, a.score) {
			r.updates = append(r.updates, update{id: l.ID, version: l.Version, score: a.score, stage: a.out.Stage, cause: a.cause})
		}
	}
	for _, s := range lead.Stages {
		if before.stages[s]+after.stages[s] > 0 {
			r.Stages = append(r.Stages, StageCount{Stage: s, Before: before.stages[s], After: after.stages[s]})
		}
	}
	var err error
	if r.Audit.Before, err = audit.New(before.audit, audit.Options{Bands: opts.Bands}); err != nil {
		return nil, lead.Errorf(lead.EINVALID, "replay: %v", err)
	}
	if r.Audit.After, err = audit.New(after.audit, audit.Options{Bands: opts.Bands}); err != nil {
		return nil, lead.Errorf(lead.EINVALID, "replay: %v", err)
	}
	return r, nil
}

func newSide(cfg *config.Config, seed routing.MemLoads) *side {
	return &side{cfg: cfg, loads: maps.Clone(seed), owners: map[string]string{}, stages: map[lead.Stage]int{}}
}

// result is one lead under one config.
type result struct {
	out   Outcome
	score lead.Score
	cause string
}

// run scores, stages and, when it reaches sql unrouted, routes one lead.
func (s *side) run(l *lead.Lead, acct *lead.Account, acts []lead.Activity, at time.Time) result {
	sc := s.cfg.Scoring.Score(l, acct, acts, at)
	stage, cause := s.cfg.Scoring.NextStage(l.Stage, sc, l.Routed(), acts, at)
	out := Outcome{Stage: stage, Owner: l.Owner, Total: sc.Total}
	if l.Owner == "" && l.Queue != "" {
		out.Owner = "queue:" + l.Queue
	}
	if stage == lead.StageSQL && !l.Routed() {
		out.Owner = s.route(l, acct, at)
	}
	s.stages[stage]++
	s.audit = append(s.audit, AuditRecord(l, sc, stage))
	return result{out: out, score: sc, cause: cause}
}

// route decides an owner as pipeline.Route does: the router's decision,
// except that an account keeps the owner its first routed lead got.
func (s *side) route(l *lead.Lead, acct *lead.Account, at time.Time) string {
	claimed := s.owners[l.Domain]
	if claimed == "" && acct != nil {
		claimed = acct.Owner
	}
	d := s.cfg.Routing.Route(routing.Input{Lead: l, AccountOwner: claimed, Now: at}, &s.counters, s.loads)
	if d.Owner == "" {
		return "queue:" + d.Queue
	}
	owner := d.Owner
	if l.Domain != "" && !l.FreeEmail && !l.DisposableEmail {
		if claimed == "" {
			claimed = d.Owner
		}
		s.owners[l.Domain], owner = claimed, claimed
	}
	s.loads[owner]++
	return owner
}

// account reads a domain's account once per replay; nil when unknown.
func account(ctx context.Context, src Source, cache map[string]*lead.Account, domain string) (*lead.Account, error) {
	if domain == "" {
		return nil, nil
	}
	if a, ok := cache[domain]; ok {
		return a, nil
	}
	a, err := src.GetAccount(ctx, domain)
	if err != nil && !lead.IsCode(err, lead.ENOTFOUND) {
		return nil, fmt.Errorf("get account %s: %w", domain, err)
	}
	cache[domain] = a
	return a, nil
}

// diffReasons lists the codes whose points differ, in code order.
func diffReasons(before, after lead.Score) []ReasonDiff {
	b, a := points(before), points(after)
	out := []ReasonDiff{}
	for code, pb := range b {
		pa, ok := a[code]
		switch {
		case !ok:
			out = append(out, ReasonDiff{Code: code, Change: "removed", Before: pb})
		case pa != pb:
			out = append(out, ReasonDiff{Code: code, Change: "changed", Before: pb, After: pa})
		}
	}
	for code, pa := range a {
		if _, ok := b[code]; !ok {
			out = append(out, ReasonDiff{Code: code, Change: "added", After: pa})
		}
	}
	slices.SortFunc(out, func(x, y ReasonDiff) int { return cmp.Compare(x.Code, y.Code) })
	return out
}

func points(s lead.Score) map[string]float64 {
	m := make(map[string]float64, len(s.Reasons))
	for _, r := range s.Reasons {
		m[r.Code] += r.Points
	}
	return m
}

// sameScore mirrors the pipeline's test of whether a score changed.
func sameScore(a, b lead.Score) bool {
	if a.Total != b.Total || a.Fit != b.Fit || a.Intent != b.Intent || a.Timing != b.Timing || a.Predicted != b.Predicted || len(a.Reasons) != len(b.Reasons) {
		return false
	}
	for i := range a.Reasons {
		if a.Reasons[i].Code != b.Reasons[i].Code || a.Reasons[i].Points != b.Reasons[i].Points {
			return false
		}
	}
	return true
}
