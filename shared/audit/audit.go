// Package audit closes the loop on scoring (SPEC §8): it compares the score
// leads had when decisions were made with how they ended, per quarter, and
// warns when the score stops separating winners from losers.
//
// It takes plain records from any source (an imported history file, the
// store), so the same report serves a CRM export and live data.
package audit

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/model"
)

// Outcome is how a lead ended; the values match history.Outcome.
type Outcome string

// Outcomes.
const (
	Won  Outcome = "won"
	Lost Outcome = "lost"
	Open Outcome = "open"
)

// Record is one lead as the audit sees it.
type Record struct {
	Score          float64 // score when the routing decision was made
	HasScore       bool
	Outcome        Outcome
	Source         string
	CreatedAt      time.Time // zero: the lead is reported under "undated"
	Stage          string
	SpeedToLead    time.Duration // form submitted → owner notified
	HasSpeedToLead bool
	SLATracked     bool // the lead had an owner and an SLA clock
	SLABreached    bool
}

// Options tune the report.
type Options struct {
	// Bands are the score band edges, strictly increasing: the bands are
	// (-inf, e0), [e0, e1), …, [en, +inf). Default 10, 20, …, 90.
	Bands []float64
}

// DefaultBands are the score band edges used when Options.Bands is empty.
var DefaultBands = []float64{10, 20, 30, 40, 50, 60, 70, 80, 90}

// Undated labels the quarter of records without a creation time.
const Undated = "undated"

// ScoreStats summarise the scores of one outcome.
type ScoreStats struct {
	N         int     `json:"n"`
	Mean      float64 `json:"mean"`
	Histogram []int   `json:"histogram"` // count per band
}

// Quarter is one calendar quarter of leads, by creation time.
type Quarter struct {
	Quarter     string     `json:"quarter"` // "2025-Q3", or Undated
	Count       int        `json:"count"`
	Won         ScoreStats `json:"won"`
	Lost        ScoreStats `json:"lost"`
	Open        int        `json:"open"`
	Gap         *float64   `json:"gap,omitempty"`        // mean won score − mean lost score
	GapChange   *float64   `json:"gap_change,omitempty"` // against the previous dated quarter with a gap
	AUC         *float64   `json:"auc,omitempty"`        // of the score against won/lost
	SLABreached int        `json:"sla_breached"`
	SLATracked  int        `json:"sla_tracked"`
}

// Conversion is the outcome tally of one group of leads. Conversion is won
// over all leads of the group; WinRate is won over decided (won or lost)
// leads, the fairer figure while many are still open.
type Conversion struct {
	Group      string  `json:"group"`
	Leads      int     `json:"leads"`
	Won        int     `json:"won"`
	Lost       int     `json:"lost"`
	Open       int     `json:"open"`
	Conversion float64 `json:"conversion"`
	WinRate    float64 `json:"win_rate"`
}

// StageCount is the number of leads at one stage.
type StageCount struct {
	Stage string `json:"stage"`
	Leads int    `json:"leads"`
}

// Percentiles of speed-to-lead by the nearest-rank method, in seconds in
// JSON.
type Percentiles struct {
	N   int           `json:"n"`
	P50 time.Duration `json:"-"`
	P90 time.Duration `json:"-"`
	P99 time.Duration `json:"-"`
}

// Report is the closed-loop audit.
type Report struct {
	Leads         int          `json:"leads"`
	Bands         []string     `json:"bands"`
	Quarters      []Quarter    `json:"quarters"`
	AUC           *float64     `json:"auc,omitempty"`
	Stages        []StageCount `json:"stages"`
	BySource      []Conversion `json:"by_source"`
	ByBand        []Conversion `json:"by_score_band"`
	SpeedToLead   Percentiles  `json:"speed_to_lead"`
	SLATracked    int          `json:"sla_tracked"`
	SLABreachRate float64      `json:"sla_breach_rate"`
	Warnings      []string     `json:"warnings"`

	edges []float64
}

// New computes the audit of recs. Records without a score count in the
// conversion and speed figures but not in score statistics. Returns an
// error only when opts.Bands is not strictly increasing or not finite.
func New(recs []Record, opts Options) (*Report, error) {
	edges := opts.Bands
	if len(edges) == 0 {
		edges = DefaultBands
	}
	for i, e := range edges {
		if math.IsNaN(e) || math.IsInf(e, 0) || i > 0 && e <= edges[i-1] {
			return nil, fmt.Errorf("audit: score bands must be finite and strictly increasing, got %v", edges)
		}
	}
	r := &Report{Leads: len(recs), edges: edges, Warnings: []string{}}
	for b := 0; b <= len(edges); b++ {
		r.Bands = append(r.Bands, r.bandLabel(b))
	}
	r.quarters(recs)
	r.drift()
	r.AUC = auc(recs)
	r.BySource = conversions(recs, func(rec Record) (string, bool) {
		if rec.Source == "" {
			return "(unknown)", true
		}
		return rec.Source, true
	}, nil)
	r.ByBand = conversions(recs, func(rec Record) (string, bool) {
		return r.Bands[r.band(rec.Score)], rec.HasScore
	}, r.Bands)
	r.stages(recs)
	r.speed(recs)
	return r, nil
}

// stages counts leads per stage in funnel order; stages leadflow does not
// know (a CRM's own) follow by name, and leads without a stage are left out.
func (r *Report) stages(recs []Record) {
	counts := map[string]int{}
	for _, rec := range recs {
		if rec.Stage != "" {
			counts[rec.Stage]++
		}
	}
	r.Stages = []StageCount{}
	for s, n := range counts {
		r.Stages = append(r.Stages, StageCount{Stage: s, Leads: n})
	}
	rank := func(s string) int {
		if i := slices.Index(lead.Stages, lead.Stage(s)); i >= 0 {
			return i
		}
		return len(lead.Stages)
	}
	slices.SortFunc(r.Stages, func(a, b StageCount) int {
		return cmp.Or(cmp.Compare(rank(a.Stage), rank(b.Stage)), cmp.Compare(a.Stage, b.Stage))
	})
}

func (r *Report) band(score float64) int {
	i, found := slices.BinarySearch(r.edges, score)
	if found {
		return i + 1
	}
	return i
}

func (r *Report) bandLabel(b int) string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	switch {
	case b == 0:
		return "<" + f(r.edges[0])
	case b == len(r.edges):
		return ">=" + f(r.edges[b-1])
	}
	return f(r.edges[b-1]) + "-" + f(r.edges[b])
}

func quarterOf(t time.Time) string {
	if t.IsZero() {
		return Undated
	}
	t = t.UTC()
	return fmt.Sprintf("%04d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
}

func (r *Report) quarters(recs []Record) {
	byQuarter := map[string][]Record{}
	for _, rec := range recs {
		q := quarterOf(rec.CreatedAt)
		byQuarter[q] = append(byQuarter[q], rec)
	}
	names := make([]string, 0, len(byQuarter))
	for q := range byQuarter {
		names = append(names, q)
	}
	// "YYYY-Qn" sorts chronologically; undated goes last.
	slices.SortFunc(names, func(a, b string) int {
		undated := func(s string) int {
			if s == Undated {
				return 1
			}
			return 0
		}
		return cmp.Or(cmp.Compare(undated(a), undated(b)), cmp.Compare(a, b))
	})
	for _, name := range names {
		qs := byQuarter[name]
		q := Quarter{Quarter: name, Count: len(qs)}
		q.Won.Histogram = make([]int, len(r.Bands))
		q.Lost.Histogram = make([]int, len(r.Bands))
		for _, rec := range qs {
			if rec.SLATracked {
				q.SLATracked++
				if rec.SLABreached {
					q.SLABreached++
				}
			}
			var s *ScoreStats
			switch rec.Outcome {
			case Won:
				s = &q.Won
			case Lost:
				s = &q.Lost
			default:
				q.Open++
				continue
			}
			if rec.HasScore {
				s.N++
				s.Mean += rec.Score
				s.Histogram[r.band(rec.Score)]++
			}
		}
		for _, s := range []*ScoreStats{&q.Won, &q.Lost} {
			if s.N > 0 {
				s.Mean /= float64(s.N)
			}
		}
		if q.Won.N > 0 && q.Lost.N > 0 {
			q.Gap = ptr(q.Won.Mean - q.Lost.Mean)
		}
		q.AUC = auc(qs)
		r.Quarters = append(r.Quarters, q)
	}
}

// drift fills the gap trend and warns when the won−lost gap has narrowed
// over two consecutive quarters: one narrower quarter is noise, two in a row
// is the score losing touch with what sales closes.
func (r *Report) drift() {
	var prev []*Quarter // dated quarters with a gap, most recent last
	for i := range r.Quarters {
		q := &r.Quarters[i]
		if q.Quarter == Undated || q.Gap == nil {
			continue
		}
		if len(prev) > 0 {
			q.GapChange = ptr(*q.Gap - *prev[len(prev)-1].Gap)
		}
		prev = append(prev, q)
		if n := len(prev); n >= 3 && *prev[n-1].GapChange < 0 && *prev[n-2].GapChange < 0 {
			a, b, c := prev[n-3], prev[n-2], prev[n-1]
			r.Warnings = append(r.Warnings, fmt.Sprintf("score drift: the won-lost score gap narrowed two quarters running (%s %.1f, %s %.1f, %s %.1f); review the scoring rules",
				a.Quarter, *a.Gap, b.Quarter, *b.Gap, c.Quarter, *c.Gap))
		}
	}
}

// auc is the ROC AUC of the scores of decided, scored records, nil when a
// class is empty.
func auc(recs []Record) *float64 {
	var scores []float64
	var won []bool
	for _, rec := range recs {
		if rec.HasScore && rec.Outcome != Open {
			scores = append(scores, rec.Score)
			won = append(won, rec.Outcome == Won)
		}
	}
	if a, ok := model.AUC(scores, won); ok {
		return &a
	}
	return nil
}

// conversions tallies outcomes per group. order fixes the group order when
// given (score bands); otherwise groups are sorted by leads, then name.
func conversions(recs []Record, group func(Record) (string, bool), order []string) []Conversion {
	byGroup := map[string]*Conversion{}
	for _, rec := range recs {
		g, ok := group(rec)
		if !ok {
			continue
		}
		c := byGroup[g]
		if c == nil {
			c = &Conversion{Group: g}
			byGroup[g] = c
		}
		c.Leads++
		switch rec.Outcome {
		case Won:
			c.Won++
		case Lost:
			c.Lost++
		default:
			c.Open++
		}
	}
	out := make([]Conversion, 0, len(byGroup))
	for _, c := range byGroup {
		c.Conversion = float64(c.Won) / float64(c.Leads)
		if d := c.Won + c.Lost; d > 0 {
			c.WinRate = float64(c.Won) / float64(d)
		}
		out = append(out, *c)
	}
	if order != nil {
		slices.SortFunc(out, func(a, b Conversion) int {
			return cmp.Compare(slices.Index(order, a.Group), slices.Index(order, b.Group))
		})
	} else {
		slices.SortFunc(out, func(a, b Conversion) int { return cmp.Or(cmp.Compare(b.Leads, a.Leads), cmp.Compare(a.Group, b.Group)) })
	}
	return out
}

func (r *Report) speed(recs []Record) {
	var d []time.Duration
	for _, rec := range recs {
		if rec.HasSpeedToLead {
			d = append(d, rec.SpeedToLead)
		}
		if rec.SLATracked {
			r.SLATracked++
			if rec.SLABreached {
				r.SLABreachRate++
			}
		}
	}
	if r.SLATracked > 0 {
		r.SLABreachRate /= float64(r.SLATracked)
	}
	slices.Sort(d)
	r.SpeedToLead = Percentiles{N: len(d), P50: nearestRank(d, 50), P90: nearestRank(d, 90), P99: nearestRank(d, 99)}
}

// nearestRank is the smallest value with at least p% of the values at or
// below it; zero for no values.
func nearestRank(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func ptr(f float64) *float64 { return &f }
