// Package scoring turns a lead, its account and its activities into an
// explainable score and decides lifecycle stage changes. Rules are CEL
// expressions compiled once when the model is built; scoring is a pure,
// deterministic function of its inputs and the clock.
package scoring

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

// Count says how an activity rule counts matching activities.
type Count string

// Counting modes of activity rules.
const (
	// CountEach: Points per matching activity, the Cap most recent ones.
	CountEach Count = "each"
	// CountOnce: Points once, decayed by the age of the most recent match.
	CountOnce Count = "once"
	// CountMin: Points once when at least MinCount activities match inside
	// the window, decayed by the age of the MinCount-th most recent match —
	// the signal is only as fresh as the oldest piece of evidence it needs.
	CountMin Count = "min_count"
)

// Rule is one scoring rule: a lead-level condition (When) or an activity
// predicate (Activity) with a counting mode.
type Rule struct {
	Code   string
	Layer  lead.Layer
	Points float64
	// When is a ScopeLead condition; the rule adds Points when it holds.
	When string
	// Activity is a ScopeActivity predicate over one activity.
	Activity string
	Count    Count
	Cap      int // CountEach: most activities counted; 0 means no cap
	MinCount int // CountMin
	// NoDecay keeps an activity's points whatever its age (negative signals
	// such as unsubscribed). Lead-level rules never decay.
	NoDecay bool
}

// Thresholds are the stage thresholds, SPEC §5.
type Thresholds struct {
	Engaged float64 // total for engaged, with intent > 0
	MQL     float64
	// MQLFloor is the buffer under MQL: a not-yet-routed mql lead whose
	// total decays below it goes back to engaged.
	MQLFloor  float64
	SQL       float64
	SQLMinFit float64
	// FastTrack lists activity rules (by code) that reach sql with fit ≥
	// SQLMinFit whatever the total — the demo request — while a matching
	// activity is inside the window. Their predicates may read only the
	// activity.
	FastTrack []string
}

// Spec is everything a Model is built from.
type Spec struct {
	Version    string
	Rules      []Rule
	Thresholds Thresholds
	// Window is the intent window: older activities count zero unless their
	// rule says NoDecay. DecayEvery halves points per full period of age.
	Window     time.Duration
	DecayEvery time.Duration
	// Predictor, when set, adds the predicted layer (SPEC §5's predictive
	// model) to every score; nil keeps the rules-only score.
	Predictor Predictor
	// Compile compiles the rules' expressions: the CEL checker
	// (celrules.Compile) where rules are written and validated, Compiled in
	// a deployed function.
	Compile Compiler
}

// Predictor computes the predicted component of a score from the same
// inputs as the rules. It must be safe for concurrent use and must not fail:
// a value it cannot compute counts as missing.
type Predictor interface {
	Predict(l *lead.Lead, a *lead.Account, acts []lead.Activity, now time.Time) Prediction
}

// Prediction is a predictor's contribution to a score.
type Prediction struct {
	Points float64 // added to the total and to Score.Predicted
	// Reasons explain Points; their points sum to Points.
	Reasons []lead.Reason
	// Missing lists the required inputs the lead lacks. The points still
	// count towards engaged and mql, but not towards sql: a lead whose
	// prediction rests on defaults goes to qualification, not to sales.
	Missing []string
}

// CodeModelGuard is the zero-point reason recording that required model
// inputs are missing; NextStage then judges sql on the total without the
// predicted points.
const CodeModelGuard = "model:missing_required"

// Problem is one thing wrong with a Spec. Path locates it inside the
// scoring section ("rules[3].when", "thresholds.mql"); Rule is the rule's
// code when the problem belongs to a rule; Expr is set for CEL errors.
type Problem struct {
	Path    string
	Rule    string
	Message string
	Expr    *ExprError
}

// Problems is every problem of a Spec.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", p.Path, p.Message)
	}
	return b.String()
}

type compiledRule struct {
	Rule
	expr *Expr
}

// Model is a compiled scoring model. It is immutable and safe for
// concurrent use.
type Model struct {
	spec      Spec
	leadRules []int // indexes into rules
	actRules  []int
	rules     []compiledRule
	// byType indexes activity rules by the activity type their predicate
	// pins; unguarded rules see every activity.
	byType    map[lead.ActivityType][]int
	unguarded []int
	fastTrack []int // rules reaching sql with enough fit
	scratch   sync.Pool
}

// New validates and compiles a Spec. It returns Problems listing every
// problem found (unknown layer, bad counting, CEL type errors, thresholds
// out of order, duplicate codes) and no model then.
func New(spec Spec) (*Model, error) {
	m := &Model{spec: spec, byType: map[lead.ActivityType][]int{}}
	var ps Problems
	add := func(path, rule, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Rule: rule, Message: fmt.Sprintf(format, args...)})
	}
	if spec.Window <= 0 {
		add("window", "", "must be positive")
	}
	if spec.DecayEvery <= 0 || spec.DecayEvery > spec.Window {
		add("decay_every", "", "must be positive and at most the window")
	}
	seen := map[string]bool{}
	for i, r := range spec.Rules {
		p := fmt.Sprintf("rules[%d]", i)
		switch {
		case r.Code == "":
			add(p+".code", "", "missing")
		case seen[r.Code]:
			add(p+".code", r.Code, "duplicate rule code")
		}
		seen[r.Code] = true
		switch r.Layer {
		case lead.LayerFit, lead.LayerIntent, lead.LayerTiming:
		default:
			add(p+".layer", r.Code, "unknown layer %q (want fit, intent or timing)", r.Layer)
		}
		if r.Points == 0 || math.IsNaN(r.Points) || math.IsInf(r.Points, 0) {
			add(p+".points", r.Code, "must be a non-zero number")
		}
		cr := compiledRule{Rule: r}
		field, scope := "when", ScopeLead
		switch {
		case (r.When == "") == (r.Activity == ""):
			add(p, r.Code, "needs exactly one of when or activity")
			m.rules = append(m.rules, cr) // keep indexes aligned with spec.Rules
			continue
		case r.Activity != "":
			field, scope = "activity", ScopeActivity
			m.checkCounting(p, r, add)
		default:
			if r.Count != "" || r.Cap != 0 || r.MinCount != 0 || r.NoDecay {
				add(p, r.Code, "each, once, cap, min_count and decay apply to activity rules only")
			}
		}
		if spec.Compile == nil {
			add(p+"."+field, r.Code, "no rule compiler")
			m.rules = append(m.rules, cr)
			continue
		}
		x, errs := spec.Compile(r.When+r.Activity, scope)
		for _, e := range errs {
			ps = append(ps, Problem{Path: p + "." + field, Rule: r.Code, Message: e.Message, Expr: &e})
		}
		cr.expr = x
		m.rules = append(m.rules, cr)
	}
	m.checkThresholds(add)
	if len(ps) > 0 {
		return nil, ps
	}
	for i, r := range m.rules {
		if r.When != "" {
			m.leadRules = append(m.leadRules, i)
			continue
		}
		m.actRules = append(m.actRules, i)
		if r.expr.guard == nil {
			m.unguarded = append(m.unguarded, i)
		}
		for t := range r.expr.guard {
			m.byType[t] = append(m.byType[t], i)
		}
	}
	for _, c := range spec.Thresholds.FastTrack {
		m.fastTrack = append(m.fastTrack, slices.IndexFunc(m.rules, func(r compiledRule) bool { return r.Code == c }))
	}
	return m, nil
}

func (m *Model) checkCounting(p string, r Rule, add func(path, rule, format string, args ...any)) {
	switch r.Count {
	case CountEach:
		if r.Cap < 0 {
			add(p+".cap", r.Code, "must not be negative")
		}
		if r.MinCount != 0 {
			add(p+".min_count", r.Code, "min_count does not combine with each")
		}
	case CountOnce:
		if r.Cap != 0 || r.MinCount != 0 {
			add(p, r.Code, "once does not combine with cap or min_count")
		}
	case CountMin:
		if r.MinCount < 1 {
			add(p+".min_count", r.Code, "must be at least 1")
		}
		if r.Cap != 0 {
			add(p+".cap", r.Code, "cap does not combine with min_count")
		}
	default:
		add(p, r.Code, "activity rule needs one of each, once or min_count")
	}
}

func (m *Model) checkThresholds(add func(path, rule, format string, args ...any)) {
	t := m.spec.Thresholds
	if !(t.Engaged > 0 && t.Engaged < t.MQL && t.MQL < t.SQL) {
		add("thresholds", "", "must be in order 0 < engaged (%g) < mql (%g) < sql (%g)", t.Engaged, t.MQL, t.SQL)
	}
	if !(t.MQLFloor >= t.Engaged && t.MQLFloor < t.MQL) {
		add("thresholds.mql_floor", "", "must lie between engaged (%g) and mql (%g), is %g", t.Engaged, t.MQL, t.MQLFloor)
	}
	if t.SQLMinFit < 0 {
		add("thresholds.sql_min_fit", "", "must not be negative")
	}
	for i, c := range t.FastTrack {
		j := slices.IndexFunc(m.spec.Rules, func(r Rule) bool { return r.Code == c })
		switch {
		case j < 0:
			add(fmt.Sprintf("thresholds.sql_fast_track[%d]", i), "", "unknown rule %q", c)
		case m.spec.Rules[j].Activity == "" || m.spec.Rules[j].Points <= 0:
			add(fmt.Sprintf("thresholds.sql_fast_track[%d]", i), "", "rule %q must be an activity rule with positive points", c)
		case m.rules[j].expr != nil && len(m.rules[j].expr.Fields()) > 0:
			// NextStage sees activities only.
			add(fmt.Sprintf("thresholds.sql_fast_track[%d]", i), "", "rule %q must read only the activity, not the lead or account", c)
		}
	}
}

// Spec returns the spec the model was built from.
func (m *Model) Spec() Spec { return m.spec }

// Fields returns the lead and account fields some rule reads, as
// "lead.<json name>" and "account.<json name>", sorted.
func (m *Model) Fields() []string {
	set := map[string]bool{}
	for _, r := range m.rules {
		r.expr.addFields(set)
	}
	return sortedKeys(set)
}

// Decay returns the share of an activity's points that counts at age: 1
// under DecayEvery, halved for every further full DecayEvery, 0 from Window
// on. A future activity counts in full.
func (m *Model) Decay(age time.Duration) float64 {
	if age < 0 {
		age = 0
	}
	if age >= m.spec.Window {
		return 0
	}
	return math.Ldexp(1, -int(age/m.spec.DecayEvery))
}

// ruleState accumulates one activity rule over a lead's activities.
type ruleState struct {
	count   int
	points  float64
	decayed bool
	done    bool
	err     error
}

type scratch struct {
	order []int
	state []ruleState
	frame frame
}

// Score scores a lead. a may be nil when the account is unknown. Activities
// may come in any order. The total is the sum of the reasons' points; a
// rule that fails at run time (a missing map key, say) adds a zero-point
// reason whose Detail carries the error, so nothing fails silently.
func (m *Model) Score(l *lead.Lead, a *lead.Account, acts []lead.Activity, now time.Time) lead.Score {
	sc := m.getScratch()
	defer m.putScratch(sc)
	sc.frame.bind(l, a, acts, now)
	sc.state = slices.Grow(sc.state[:0], len(m.rules))[:len(m.rules)]
	clear(sc.state)

	for _, i := range m.leadRules {
		ok, err := m.rules[i].expr.eval(&sc.frame)
		sc.state[i] = ruleState{err: err}
		if ok {
			sc.state[i].count, sc.state[i].points = 1, m.rules[i].Points
		}
	}
	m.countActivities(sc, acts, now)

	s := lead.Score{ConfigVersion: m.spec.Version, At: now, Reasons: make([]lead.Reason, 0, len(m.rules))}
	for i, r := range m.rules {
		st := &sc.state[i]
		if st.err != nil {
			s.Reasons = append(s.Reasons, lead.Reason{Code: r.Code, Layer: r.Layer, Detail: "rule error: " + st.err.Error()})
			continue
		}
		if st.points == 0 || (r.Count == CountMin && st.count < r.MinCount) {
			continue
		}
		reason := lead.Reason{Code: r.Code, Points: st.points, Layer: r.Layer}
		if r.Activity != "" {
			reason.Count = st.count
		}
		if st.decayed {
			reason.Detail = "decayed"
		}
		s.Reasons = append(s.Reasons, reason)
		s.Total += st.points
		switch r.Layer {
		case lead.LayerFit:
			s.Fit += st.points
		case lead.LayerIntent:
			s.Intent += st.points
		case lead.LayerTiming:
			s.Timing += st.points
		}
	}
	if p := m.spec.Predictor; p != nil {
		pr := p.Predict(l, a, acts, now)
		s.Predicted, s.Total = pr.Points, s.Total+pr.Points
		s.Reasons = append(s.Reasons, pr.Reasons...)
		if len(pr.Missing) > 0 {
			s.Reasons = append(s.Reasons, lead.Reason{Code: CodeModelGuard, Layer: lead.LayerPredicted, Detail: "missing " + strings.Join(pr.Missing, ", ")})
		}
	}
	return s
}

func (m *Model) getScratch() *scratch {
	if sc, ok := m.scratch.Get().(*scratch); ok {
		return sc
	}
	return &scratch{}
}

func (m *Model) putScratch(sc *scratch) {
	clear(sc.frame.slots) // drop references to the caller's data
	m.scratch.Put(sc)
}

// countActivities runs the activity rules over the activities, most recent
// first, so capped and once rules keep the freshest matches.
func (m *Model) countActivities(sc *scratch, acts []lead.Activity, now time.Time) {
	if len(m.actRules) == 0 || len(acts) == 0 {
		return
	}
	sc.order = sc.order[:0]
	for i := range acts {
		sc.order = append(sc.order, i)
	}
	slices.SortFunc(sc.order, func(x, y int) int {
		if c := acts[y].OccurredAt.Compare(acts[x].OccurredAt); c != 0 {
			return c
		}
		if c := strings.Compare(acts[y].ID, acts[x].ID); c != 0 {
			return c
		}
		return y - x
	})
	for _, ai := range sc.order {
		act := &acts[ai]
		decay := m.Decay(now.Sub(act.OccurredAt))
		bound := false
		for _, set := range [2][]int{m.byType[act.Type], m.unguarded} {
			for _, ri := range set {
				r, st := &m.rules[ri], &sc.state[ri]
				f := decay
				if r.NoDecay {
					f = 1
				}
				if st.done || st.err != nil || f == 0 {
					continue
				}
				ok, err := r.expr.match(&sc.frame, act, &bound)
				if err != nil {
					st.err = err
					continue
				}
				if ok {
					m.count(r, st, f)
				}
			}
		}
	}
}

// count adds one matching activity, with decay share f, to a rule's state.
func (m *Model) count(r *compiledRule, st *ruleState, f float64) {
	st.count++
	switch r.Count {
	case CountEach:
		st.points += r.Points * f
		st.decayed = st.decayed || f < 1
		st.done = r.Cap > 0 && st.count >= r.Cap
	case CountOnce:
		st.points, st.decayed, st.done = r.Points*f, f < 1, true
	case CountMin:
		if st.count >= r.MinCount {
			st.points, st.decayed, st.done = r.Points*f, f < 1, true
		}
	}
}
