package routing

import (
	"strconv"
	"strings"
	"sync"
	"time"
	// Rep time zones must load on any host, including Lambda's minimal
	// provided.al2023 image, which ships no zoneinfo.
	_ "time/tzdata"

	"github.com/leadflow/leadflow/shared/lead"
)

// Router routes leads against a compiled roster. It is immutable after New
// and safe for concurrent use.
//
// The routing lock (first route wins, SPEC §6) is not enforced here: a
// Decision is a pure proposal, and the caller applies it only to a lead
// that is not yet routed, or on an SLA reassignment or explicit action
// (passing the current owner in Input.Exclude).
type Router struct {
	order    []string
	reps     []crep
	repIdx   map[string]int
	teams    []cteam
	teamIdx  map[string]int
	teamOf   []int // rep index → first team listing it, -1 if none
	managers map[string]Manager
	named    map[string]int // normalised domain → rep index
	fallback int            // team index
}

// crep is a rep with its compiled schedule.
type crep struct {
	Rep
	sched  schedule
	weight float64
}

// cteam is a team with its territory and segment compiled to sets.
type cteam struct {
	Team
	queue    string
	capacity bool
	reps     []int
	terr     *territory
	seg      *segment
}

type territory struct {
	countries, states, regions map[string]bool
}

type segment struct {
	min, max   int
	industries map[string]bool
}

// New validates cfg and compiles it: time zones loaded, hours and PTO parsed
// to minutes and day keys, territories and segments to sets. Returns an
// EINVALID *lead.Error listing every problem Validate finds.
func New(cfg Config) (*Router, error) {
	if ps := Validate(cfg); len(ps) > 0 {
		lines := make([]string, len(ps))
		for i, p := range ps {
			lines[i] = p.String()
		}
		return nil, lead.Errorf(lead.EINVALID, "routing config: %d problem(s): %s", len(ps), strings.Join(lines, "; "))
	}
	r := &Router{
		order:    DefaultOrder(),
		repIdx:   make(map[string]int, len(cfg.Reps)),
		teamIdx:  make(map[string]int, len(cfg.Teams)),
		managers: make(map[string]Manager, len(cfg.Managers)),
		named:    make(map[string]int, len(cfg.NamedAccounts)),
	}
	if len(cfg.Order) > 0 {
		r.order = append([]string(nil), cfg.Order...)
	}
	for i, rep := range cfg.Reps {
		r.repIdx[rep.ID] = i
		r.reps = append(r.reps, compileRep(rep))
	}
	for _, m := range cfg.Managers {
		r.managers[m.ID] = m
	}
	r.teamOf = make([]int, len(r.reps))
	for i := range r.teamOf {
		r.teamOf[i] = -1
	}
	for i, t := range cfg.Teams {
		r.teamIdx[t.ID] = i
		ct := compileTeam(t)
		for _, id := range t.Reps {
			ri := r.repIdx[id]
			ct.reps = append(ct.reps, ri)
			if r.teamOf[ri] < 0 {
				r.teamOf[ri] = i
			}
		}
		r.teams = append(r.teams, ct)
	}
	for _, na := range cfg.NamedAccounts {
		r.named[normDomain(na.Domain)] = r.repIdx[na.Owner]
	}
	r.fallback = r.teamIdx[cfg.Fallback]
	return r, nil
}

// compileRep assumes rep passed Validate.
func compileRep(rep Rep) crep {
	loc, _ := loadLocation(rep.TimeZone)
	start, end, _ := parseHours(orDefault(rep.Hours, defaultHours))
	s := schedule{loc: loc, zone: &zoneCache{}, start: start, end: end, days: defaultDays}
	if len(rep.Days) > 0 {
		s.days = 0
		for _, d := range rep.Days {
			s.days |= 1 << uint(weekdays[strings.ToLower(strings.TrimSpace(d))])
		}
	}
	for _, a := range rep.PTO {
		from, _ := parseDate(a.From)
		to := from
		if a.To != "" {
			to, _ = parseDate(a.To)
		}
		s.pto = append(s.pto, dayRange{from: from, to: to})
	}
	w := rep.Weight
	if w == 0 {
		w = 1
	}
	return crep{Rep: rep, sched: s, weight: w}
}

// compileTeam assumes t passed Validate; rep indexes are filled by New.
func compileTeam(t Team) cteam {
	ct := cteam{Team: t, queue: t.Queue, capacity: t.Assignment == AssignCapacity}
	if ct.queue == "" {
		ct.queue = t.ID + "-queue"
	}
	if t.Territory != nil {
		tr := &territory{countries: map[string]bool{}, states: map[string]bool{}, regions: map[string]bool{}}
		for _, c := range t.Territory.Countries {
			tr.countries[strings.ToUpper(strings.TrimSpace(c))] = true
		}
		for _, s := range t.Territory.States {
			tr.states[stateCode(s)] = true
		}
		for _, g := range t.Territory.Regions {
			tr.regions[strings.ToUpper(strings.TrimSpace(g))] = true
		}
		ct.terr = tr
	}
	if t.Segment != nil {
		sg := &segment{min: t.Segment.MinEmployees, max: t.Segment.MaxEmployees}
		if len(t.Segment.Industries) > 0 {
			sg.industries = map[string]bool{}
			for _, ind := range t.Segment.Industries {
				sg.industries[strings.ToLower(strings.TrimSpace(ind))] = true
			}
		}
		ct.seg = sg
	}
	return ct
}

// Input is what a routing decision depends on besides the roster.
type Input struct {
	Lead *lead.Lead // nil routes like a lead with no data: to the fallback team
	// AccountOwner is the owner already claimed by the lead's account, if any.
	AccountOwner string
	// Now is the decision time; PTO, hours and days are read in each rep's
	// time zone.
	Now time.Time
	// Exclude lists reps that must not be chosen, e.g. the owner an SLA
	// reassignment takes the lead from.
	Exclude []string
}

// Counters hands out rotation positions. Next atomically increments the
// pool's counter and returns the new value (the first call returns 1).
// Route uses the team id as the pool and indexes the team's currently
// eligible reps with it, so editing a team's members keeps everyone's
// position and a rep back from PTO simply rejoins the rotation. It
// has no error: a store-backed implementation decides itself how to
// degrade (any value still yields a valid, if less fair, choice).
type Counters interface {
	Next(pool string) int64
}

// Loads reports how many open leads a rep holds, for capacity limits and
// capacity-weighted assignment.
type Loads interface {
	OpenLeads(rep string) int
}

// Decision is the outcome of routing one lead: an owner, or a team queue
// with a manager alert when nobody in the team is eligible.
type Decision struct {
	Owner string // rep id; empty when the lead went to Queue
	Team  string // the team the owner was chosen from, or of the named/account owner
	Queue string // the team queue, set only when no rep was eligible
	// Rule is the strategy that decided: named_account, account_owner,
	// territory, segment or fallback.
	Rule         string
	Manager      string // the team's manager id; empty for an owner in no team
	ManagerAlert bool   // the manager must be told: the lead sits in Queue
	InHours      bool   // the owner is inside working hours now
	Steps        []Step // every strategy tried, in order, the last one decided
}

// Step records one strategy tried and why it matched or not.
type Step struct {
	Strategy string
	Matched  bool
	Why      string
}

// Explain renders the decision as human lines: why each strategy before
// the deciding one did not match, which one did and what it chose.
func (d Decision) Explain() []string {
	lines := make([]string, 0, len(d.Steps)+1)
	for _, s := range d.Steps {
		verdict := "no match"
		if s.Matched {
			verdict = "matched"
		}
		lines = append(lines, s.Strategy+": "+verdict+": "+s.Why)
	}
	switch {
	case d.Owner != "":
		hours := "outside working hours"
		if d.InHours {
			hours = "in working hours"
		}
		line := "owner " + d.Owner + " (" + hours + ")"
		if d.Team != "" {
			line += ", team " + d.Team
		}
		lines = append(lines, line+", rule "+d.Rule)
	case d.Queue != "":
		lines = append(lines, "queue "+d.Queue+", team "+d.Team+", manager "+d.Manager+" alerted, rule "+d.Rule)
	}
	return lines
}

// Rep returns the configured rep with id; false if there is none. The
// returned value shares its slices with the router: do not modify them.
func (r *Router) Rep(id string) (Rep, bool) {
	i, ok := r.repIdx[id]
	if !ok {
		return Rep{}, false
	}
	return r.reps[i].Rep, true
}

// Team returns the configured team with id, its Queue defaulted to
// "<id>-queue"; false if there is none. The returned value shares its
// slices with the router: do not modify them.
func (r *Router) Team(id string) (Team, bool) {
	i, ok := r.teamIdx[id]
	if !ok {
		return Team{}, false
	}
	return r.team(i), true
}

func (r *Router) team(i int) Team {
	t := r.teams[i].Team
	t.Queue = r.teams[i].queue
	return t
}

// Manager returns the manager with id; false if there is none.
func (r *Router) Manager(id string) (Manager, bool) {
	m, ok := r.managers[id]
	return m, ok
}

// TeamOf returns the first team (in config order) that lists the rep;
// false if the rep is unknown or in no team.
func (r *Router) TeamOf(repID string) (Team, bool) {
	i, ok := r.repIdx[repID]
	if !ok || r.teamOf[i] < 0 {
		return Team{}, false
	}
	return r.team(r.teamOf[i]), true
}

// routeCtx carries one Route call's inputs and the text of its steps. All
// explanations are appended to one pooled buffer and turned into a single
// string at the end, so a decision costs two allocations (that string and
// Steps) however many strategies it tries.
type routeCtx struct {
	lead    *lead.Lead
	now     time.Time
	exclude []string
	c       Counters
	l       Loads
	text    []byte
	marks   [maxSteps]mark
	n       int
}

// maxSteps is one step per distinct strategy plus the fallback.
const maxSteps = 5

// mark is a step whose explanation is text[from:to].
type mark struct {
	strategy string
	matched  bool
	from, to int
}

func (rc *routeCtx) str(ss ...string) {
	for _, s := range ss {
		rc.text = append(rc.text, s...)
	}
}

func (rc *routeCtx) num(n int) { rc.text = strconv.AppendInt(rc.text, int64(n), 10) }

// step closes the explanation begun at from.
func (rc *routeCtx) step(strategy string, matched bool, from int) {
	rc.marks[rc.n] = mark{strategy: strategy, matched: matched, from: from, to: len(rc.text)}
	rc.n++
}

// textPool recycles explanation buffers: allocating one per lead was half
// of Route's CPU time in garbage collection.
var textPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// finish turns the marks into d.Steps and returns the buffer to the pool.
func (rc *routeCtx) finish(d *Decision, buf *[]byte) {
	all := string(rc.text)
	*buf = rc.text[:0]
	textPool.Put(buf)
	d.Steps = make([]Step, rc.n)
	for i, m := range rc.marks[:rc.n] {
		d.Steps[i] = Step{Strategy: m.strategy, Matched: m.matched, Why: all[m.from:m.to]}
	}
}

var noLead lead.Lead

// Route decides who owns the lead. It tries the strategies of the config's
// order, first match wins, then the fallback team. Within a team, reps on
// PTO, at capacity or excluded are never chosen; reps in working hours come
// first, and if none is, the rep whose hours start soonest (PTO days and
// days off skipped) gets the lead now. Only when no rep of the team is
// eligible does the lead go to the team queue with a manager alert.
//
// A named account whose owner is not eligible goes to the owner's team
// (first team listing the owner) under the rule named_account; an owner in
// no team falls through to the next strategy. An account owner who is not
// eligible falls through. Territory considers teams with a territory (and
// requires their segment too, when they have one); segment considers teams
// with a segment and no territory; the first matching team in config order
// wins.
//
// The decision is deterministic for a given input, Loads and counter
// values. Nil Counters rotate nothing (always the first candidate); nil
// Loads count zero open leads. Route never fails: a well-formed Router
// always yields an owner or a queue.
func (r *Router) Route(in Input, c Counters, l Loads) Decision {
	buf := textPool.Get().(*[]byte)
	rc := routeCtx{lead: in.Lead, now: in.Now, exclude: in.Exclude, c: c, l: l, text: (*buf)[:0]}
	if rc.lead == nil {
		rc.lead = &noLead
	}
	var d Decision
	for _, s := range r.order {
		var done bool
		switch s {
		case StrategyNamedAccount:
			done = r.namedAccount(&rc, &d)
		case StrategyAccountOwner:
			done = r.accountOwner(&rc, in.AccountOwner, &d)
		case StrategyTerritory:
			done = r.territory(&rc, &d)
		case StrategySegment:
			done = r.segment(&rc, &d)
		}
		if done {
			rc.finish(&d, buf)
			return d
		}
	}
	from := len(rc.text)
	rc.str("no earlier rule decided; fallback team ", r.teams[r.fallback].ID, ": ")
	r.assign(&rc, r.fallback, &d)
	rc.step(RuleFallback, true, from)
	d.Rule = RuleFallback
	rc.finish(&d, buf)
	return d
}

func (r *Router) namedAccount(rc *routeCtx, d *Decision) bool {
	from := len(rc.text)
	domain := normDomain(rc.lead.Domain)
	if domain == "" {
		rc.str("lead has no company domain")
		rc.step(StrategyNamedAccount, false, from)
		return false
	}
	ri, ok := r.named[domain]
	if !ok {
		rc.str("domain ", domain, " is not a named account")
		rc.step(StrategyNamedAccount, false, from)
		return false
	}
	rep := &r.reps[ri]
	rc.str("domain ", domain, " is a named account of ", rep.ID)
	st, local, _ := r.check(rc, ri, false)
	if st == available {
		r.setOwner(d, ri, rep.sched.inHours(local))
		d.Rule = StrategyNamedAccount
		rc.step(StrategyNamedAccount, true, from)
		return true
	}
	ti := r.teamOf[ri]
	if ti < 0 {
		rc.str(", who is ", st.String(), " and in no team")
		rc.step(StrategyNamedAccount, false, from)
		return false
	}
	rc.str(", who is ", st.String(), "; their team ", r.teams[ti].ID, ": ")
	r.assign(rc, ti, d)
	d.Rule = StrategyNamedAccount
	rc.step(StrategyNamedAccount, true, from)
	return true
}

func (r *Router) accountOwner(rc *routeCtx, owner string, d *Decision) bool {
	from := len(rc.text)
	if owner == "" {
		rc.str("the account has no owner yet")
		rc.step(StrategyAccountOwner, false, from)
		return false
	}
	ri, ok := r.repIdx[owner]
	if !ok {
		rc.str("account owner ", owner, " is not in the roster")
		rc.step(StrategyAccountOwner, false, from)
		return false
	}
	st, local, _ := r.check(rc, ri, false)
	if st != available {
		rc.str("account owner ", owner, " is ", st.String())
		rc.step(StrategyAccountOwner, false, from)
		return false
	}
	r.setOwner(d, ri, r.reps[ri].sched.inHours(local))
	d.Rule = StrategyAccountOwner
	rc.str("the account is owned by ", owner)
	rc.step(StrategyAccountOwner, true, from)
	return true
}

// setOwner fills d for a directly chosen rep, with their first team.
func (r *Router) setOwner(d *Decision, ri int, inHours bool) {
	d.Owner = r.reps[ri].ID
	d.InHours = inHours
	if ti := r.teamOf[ri]; ti >= 0 {
		d.Team = r.teams[ti].ID
		d.Manager = r.teams[ti].Manager
	}
}

func (r *Router) territory(rc *routeCtx, d *Decision) bool {
	from := len(rc.text)
	country := strings.ToUpper(rc.lead.Country)
	state := strings.ToUpper(rc.lead.State)
	if country == "" && state == "" {
		rc.str("lead has no country or state")
		rc.step(StrategyTerritory, false, from)
		return false
	}
	region := lead.Region(country)
	// A state only counts for US and Canada, or when the country is missing.
	useState := state != "" && (country == "" || country == "US" || country == "CA")
	for ti := range r.teams {
		t := &r.teams[ti]
		if t.terr == nil || (t.seg != nil && !t.seg.matches(rc.lead)) {
			continue
		}
		switch {
		case useState && t.terr.states[state]:
			rc.str("state ", state)
		case country != "" && t.terr.countries[country]:
			rc.str("country ", country)
		case region != "" && t.terr.regions[region]:
			rc.str("region ", region, " (country ", country, ")")
		default:
			continue
		}
		rc.str(" is in team ", t.ID, "'s territory; ")
		r.assign(rc, ti, d)
		d.Rule = StrategyTerritory
		rc.step(StrategyTerritory, true, from)
		return true
	}
	rc.str("no team's territory covers country ", orDash(country), ", state ", orDash(state), ", region ", orDash(region))
	rc.step(StrategyTerritory, false, from)
	return false
}

func (r *Router) segment(rc *routeCtx, d *Decision) bool {
	from := len(rc.text)
	for ti := range r.teams {
		t := &r.teams[ti]
		if t.seg == nil || t.terr != nil || !t.seg.matches(rc.lead) {
			continue
		}
		rc.num(rc.lead.Employees)
		rc.str(" employees, industry ", orDash(rc.lead.Industry), " fit team ", t.ID, "'s segment; ")
		r.assign(rc, ti, d)
		d.Rule = StrategySegment
		rc.step(StrategySegment, true, from)
		return true
	}
	rc.str("no team's segment fits ")
	rc.num(rc.lead.Employees)
	rc.str(" employees, industry ", orDash(rc.lead.Industry))
	rc.step(StrategySegment, false, from)
	return false
}

// matches reports whether the lead's headcount and industry fit. An
// unknown headcount (0) fits no employee range, an unknown industry no
// industry list.
func (s *segment) matches(l *lead.Lead) bool {
	if s.min > 0 || s.max > 0 {
		if l.Employees <= 0 || l.Employees < s.min || (s.max > 0 && l.Employees > s.max) {
			return false
		}
	}
	if s.industries != nil && !s.industries[strings.ToLower(l.Industry)] {
		return false
	}
	return true
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
