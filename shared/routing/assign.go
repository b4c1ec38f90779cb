package routing

import (
	"slices"
	"strconv"
	"time"
)

// status is why a rep can or cannot take a lead now.
type status uint8

const (
	available status = iota
	excluded
	onPTO
	atCapacity
)

func (s status) String() string {
	switch s {
	case excluded:
		return "excluded"
	case onPTO:
		return "on PTO"
	case atCapacity:
		return "at capacity"
	}
	return "available"
}

// check reports whether rep ri may take a lead, the rep's local time and,
// when needLoad is set or the rep has a capacity, their open leads. The
// cheapest tests run first; Loads may be store-backed.
func (r *Router) check(rc *routeCtx, ri int, needLoad bool) (status, time.Time, int) {
	rep := &r.reps[ri]
	if slices.Contains(rc.exclude, rep.ID) {
		return excluded, time.Time{}, 0
	}
	local := rc.now.In(rep.sched.loc)
	if len(rep.sched.pto) > 0 && rep.sched.onPTO(dayKey(local)) {
		return onPTO, local, 0
	}
	load := 0
	if (needLoad || rep.Capacity > 0) && rc.l != nil {
		load = rc.l.OpenLeads(rep.ID)
	}
	if rep.Capacity > 0 && load >= rep.Capacity {
		return atCapacity, local, load
	}
	return available, local, load
}

// candidate is an eligible rep of a team.
type candidate struct {
	rep   int
	local time.Time
	load  int
	in    bool // in working hours now
	wait  int  // minutes until hours start, when nobody is in hours
}

// maxInline sizes the stack buffers of assign; larger teams still work,
// they only allocate.
const maxInline = 16

// assign chooses a rep of team ti and fills d's Owner, Team, Manager,
// InHours, or Queue and ManagerAlert when nobody is eligible. It returns
// the explanation of the choice.
func (r *Router) assign(rc *routeCtx, ti int, d *Decision) string {
	t := &r.teams[ti]
	d.Team = t.ID
	d.Manager = t.Manager
	var cbuf [maxInline]candidate
	var sbuf [maxInline]status
	cands, sts := cbuf[:0], sbuf[:0]
	nIn := 0
	for _, ri := range t.reps {
		st, local, load := r.check(rc, ri, t.capacity)
		sts = append(sts, st)
		if st != available {
			continue
		}
		c := candidate{rep: ri, local: local, load: load, in: r.reps[ri].sched.inHours(local)}
		if c.in {
			nIn++
		}
		cands = append(cands, c)
	}
	if len(cands) == 0 {
		d.Queue = t.queue
		d.ManagerAlert = true
		why := "all " + strconv.Itoa(len(t.reps)) + " reps unavailable ("
		for i, ri := range t.reps {
			if i > 0 {
				why += ", "
			}
			why += r.reps[ri].ID + " " + sts[i].String()
		}
		return why + "); queue " + t.queue + ", manager " + t.Manager + " alerted"
	}
	eligible := len(cands)
	var prefix, pool string
	if nIn > 0 {
		cands = slices.DeleteFunc(cands, func(c candidate) bool { return !c.in })
		pool = strconv.Itoa(nIn) + " of " + strconv.Itoa(eligible) + " eligible reps in working hours"
	} else {
		soonest := soonestStart(r, cands)
		cands = slices.DeleteFunc(cands, func(c candidate) bool { return c.wait != soonest })
		prefix = "no eligible rep in working hours; "
		pool = "the " + strconv.Itoa(len(cands)) + " of " + strconv.Itoa(eligible) + " eligible reps starting soonest"
		if soonest >= 0 {
			pool += " (in " + (time.Duration(soonest) * time.Minute).String() + ")"
		}
	}
	if eligible < len(t.reps) {
		pool += ", " + strconv.Itoa(len(t.reps)-eligible) + " of " + strconv.Itoa(len(t.reps)) + " reps unavailable"
	}
	var c candidate
	var how string
	if t.capacity {
		c = fewestOpen(r, cands)
		how = "capacity: fewest open leads per weight (" + r.reps[c.rep].ID + " has " + strconv.Itoa(c.load) + ") among "
	} else {
		c = cands[0]
		if len(cands) > 1 && rc.c != nil {
			n := rc.c.Next(t.ID)
			k := int64(len(cands))
			c = cands[((n-1)%k+k)%k]
		}
		how = "round_robin among "
	}
	d.Owner = r.reps[c.rep].ID
	d.InHours = c.in
	return prefix + how + pool + " → " + d.Owner
}

// soonestStart fills each candidate's wait and returns the smallest one
// (-1 when no candidate ever starts, which then ties them all).
func soonestStart(r *Router, cands []candidate) int {
	best := -1
	for i := range cands {
		w := r.reps[cands[i].rep].sched.untilStart(cands[i].local)
		cands[i].wait = w
		if w >= 0 && (best < 0 || w < best) {
			best = w
		}
	}
	return best
}

// fewestOpen returns the candidate with the fewest open leads relative to
// weight; ties go to the earliest in team order, so the choice is
// deterministic.
func fewestOpen(r *Router, cands []candidate) candidate {
	best := cands[0]
	for _, c := range cands[1:] {
		// load/weight compared by cross-multiplying, weights are positive.
		if float64(c.load)*r.reps[best.rep].weight < float64(best.load)*r.reps[c.rep].weight {
			best = c
		}
	}
	return best
}
