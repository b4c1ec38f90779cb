package routing

import "slices"

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
func (r *Router) check(rc *routeCtx, ri int, needLoad bool) (status, localClock, int) {
	rep := &r.reps[ri]
	if slices.Contains(rc.exclude, rep.ID) {
		return excluded, localClock{}, 0
	}
	local := rep.sched.clock(rc.now)
	if rep.sched.onPTO(local.day) {
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
	local localClock
	load  int
	in    bool // in working hours now
	wait  int  // minutes until hours start, when nobody is in hours
}

// maxInline sizes the stack buffers of assign; larger teams still work,
// they only allocate.
const maxInline = 16

// assign chooses a rep of team ti and fills d's Owner, Team, Manager,
// InHours, or Queue and ManagerAlert when nobody is eligible. It appends
// the explanation of the choice to rc's text.
func (r *Router) assign(rc *routeCtx, ti int, d *Decision) {
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
		rc.str("all ")
		rc.num(len(t.reps))
		rc.str(" reps unavailable (")
		for i, ri := range t.reps {
			if i > 0 {
				rc.str(", ")
			}
			rc.str(r.reps[ri].ID, " ", sts[i].String())
		}
		rc.str("); queue ", t.queue, ", manager ", t.Manager, " alerted")
		return
	}
	eligible := len(cands)
	soonest := 0
	if nIn > 0 {
		cands = slices.DeleteFunc(cands, func(c candidate) bool { return !c.in })
	} else {
		soonest = soonestStart(r, cands)
		cands = slices.DeleteFunc(cands, func(c candidate) bool { return c.wait != soonest })
		rc.str("no eligible rep in working hours; ")
	}
	var c candidate
	if t.capacity {
		c = fewestOpen(r, cands)
		rc.str("capacity: fewest open leads per weight (")
		rc.num(c.load)
		rc.str(" open) among ")
	} else {
		c = cands[0]
		if len(cands) > 1 && rc.c != nil {
			n := rc.c.Next(t.ID)
			k := int64(len(cands))
			c = cands[((n-1)%k+k)%k]
		}
		rc.str("round_robin among ")
	}
	if nIn > 0 {
		rc.num(nIn)
		rc.str(" of ")
		rc.num(eligible)
		rc.str(" eligible reps in working hours")
	} else {
		rc.str("the ")
		rc.num(len(cands))
		rc.str(" of ")
		rc.num(eligible)
		rc.str(" eligible reps starting soonest")
		if soonest >= 0 {
			rc.str(" (in ")
			rc.num(soonest / 60)
			rc.str("h")
			rc.num(soonest % 60)
			rc.str("m)")
		}
	}
	if eligible < len(t.reps) {
		rc.str(", ")
		rc.num(len(t.reps) - eligible)
		rc.str(" of ")
		rc.num(len(t.reps))
		rc.str(" reps unavailable")
	}
	d.Owner = r.reps[c.rep].ID
	d.InHours = c.in
	rc.str(" → ", d.Owner)
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
