package console

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// leadData is the lead page.
type leadData struct {
	Lead       *lead.Lead
	Name       string
	OwnerName  string
	Layers     []layer
	Chart      chart
	Timeline   []event
	Stages     []lead.Change
	Owners     []lead.Change
	SLA        slaView
	Nurture    nurtureView
	Reps       []repOption
	TimersHere bool // false: the runtime cannot list timers
}

// layer is one score layer with the reasons that make it up.
type layer struct {
	Name    lead.Layer
	Points  float64
	Reasons []lead.Reason
}

// event is one line of the timeline: an activity or a history entry.
type event struct {
	At    time.Time
	Kind  string
	What  string
	Cause string
}

// slaView is the SLA clock of an owned lead.
type slaView struct {
	Tracked     bool // the lead has an owner and a routing time
	ContactedAt time.Time
	AlertAt     time.Time
	ReassignAt  time.Time
	State       string
	Timers      []timerView
}

// timerView is a pending timer.
type timerView struct {
	Kind string
	At   time.Time
	In   time.Duration
}

// nurtureView is the lead's cadence: touches sent and what comes next.
type nurtureView struct {
	State   *lead.NurtureState
	Running bool
	Next    string // the next step, e.g. "day 5 email (qual-3)"
	Touches []lead.Touch
	Timers  []timerView
}

func (c *Console) leadPage(w http.ResponseWriter, r *http.Request, s *session) {
	l, err := c.opts.Service.Store.GetLead(r.Context(), r.PathValue("id"))
	if lead.IsCode(err, lead.ENOTFOUND) {
		c.fail(w, r, s, http.StatusNotFound, "There is no lead with that id (it may have been erased).")
		return
	}
	if err != nil {
		c.storeFailed(w, r, s, err)
		return
	}
	acts, err := c.opts.Service.Store.Activities(r.Context(), l.ID)
	if err != nil {
		c.storeFailed(w, r, s, err)
		return
	}
	now := c.now()
	d := &leadData{
		Lead: l, Name: strings.TrimSpace(l.FirstName + " " + l.LastName), Layers: layers(l.Score),
		Chart: scoreChart(l), Timeline: timeline(l, acts), Reps: c.repOptions(), TimersHere: c.opts.Timers != nil,
	}
	if rep, ok := c.opts.Service.Rules.Router.Rep(l.Owner); ok {
		d.OwnerName = rep.Name
	}
	for _, h := range l.History {
		switch h.Kind {
		case "stage":
			d.Stages = append(d.Stages, h)
		case "owner":
			d.Owners = append(d.Owners, h)
		}
	}
	var timers []pipeline.Timer
	if c.opts.Timers != nil {
		timers = c.opts.Timers.Pending(l.ID)
	}
	d.SLA = c.sla(l, timers, now)
	d.Nurture = c.nurture(l, timers, now)
	c.render(w, r, http.StatusOK, "lead", s, &view{Title: "Lead " + l.ID, Nav: "leads", Data: d})
}

func layers(sc lead.Score) []layer {
	out := []layer{{Name: lead.LayerFit, Points: sc.Fit}, {Name: lead.LayerIntent, Points: sc.Intent}, {Name: lead.LayerTiming, Points: sc.Timing}}
	if sc.Predicted != 0 {
		out = append(out, layer{Name: lead.LayerPredicted, Points: sc.Predicted})
	}
	for _, rs := range sc.Reasons {
		i := slices.IndexFunc(out, func(l layer) bool { return l.Name == rs.Layer })
		if i < 0 {
			out = append(out, layer{Name: rs.Layer})
			i = len(out) - 1
		}
		out[i].Reasons = append(out[i].Reasons, rs)
	}
	return out
}

// timeline merges activities and history, newest first.
func timeline(l *lead.Lead, acts []lead.Activity) []event {
	out := make([]event, 0, len(acts)+len(l.History))
	for _, a := range acts {
		what := string(a.Type)
		switch {
		case a.Form != "":
			what += " · form " + a.Form
		case a.URL != "":
			what += " · " + a.URL
		}
		out = append(out, event{At: a.OccurredAt, Kind: "activity", What: what})
	}
	for _, h := range l.History {
		what := h.From + " → " + h.To
		switch {
		case h.From == "":
			what = h.To
		case h.To == "":
			what = h.From
		}
		out = append(out, event{At: h.At, Kind: h.Kind, What: what, Cause: h.Cause})
	}
	slices.SortStableFunc(out, func(a, b event) int { return b.At.Compare(a.At) })
	return out
}

func timerViews(ts []pipeline.Timer, kind string, now time.Time) []timerView {
	var out []timerView
	for _, t := range ts {
		if t.Kind == kind {
			out = append(out, timerView{Kind: t.Kind, At: t.At, In: t.At.Sub(now)})
		}
	}
	return out
}

// sla says where the lead stands against the SLA of SPEC §6.
func (c *Console) sla(l *lead.Lead, timers []pipeline.Timer, now time.Time) slaView {
	v := slaView{Timers: timerViews(timers, pipeline.TimerSLA, now), ContactedAt: l.ContactedAt}
	if l.Owner == "" || l.RoutedAt.IsZero() {
		v.State = "not tracked: the lead has no owner"
		return v
	}
	v.Tracked = true
	rules := c.opts.Service.Rules.SLA
	// The clock restarts on reassignment: it runs from the latest owner change.
	start := l.RoutedAt
	for _, h := range l.History {
		if h.Kind == "owner" && h.At.After(start) {
			start = h.At
		}
	}
	v.AlertAt, v.ReassignAt = start.Add(rules.AlertAfter), start.Add(rules.ReassignAfter)
	switch {
	case !l.ContactedAt.IsZero():
		v.State = fmt.Sprintf("stopped: contacted after %s", humanDuration(l.ContactedAt.Sub(start)))
	case now.Before(v.AlertAt):
		v.State = fmt.Sprintf("running: manager alert in %s", humanDuration(v.AlertAt.Sub(now)))
	case now.Before(v.ReassignAt):
		v.State = fmt.Sprintf("overdue: manager alerted, reassignment in %s", humanDuration(v.ReassignAt.Sub(now)))
	default:
		v.State = "breached: due for reassignment"
	}
	return v
}

func (c *Console) nurture(l *lead.Lead, timers []pipeline.Timer, now time.Time) nurtureView {
	v := nurtureView{State: l.Nurture, Running: l.Nurture.Running(), Touches: l.Touches, Timers: timerViews(timers, pipeline.TimerNurture, now)}
	if !v.Running {
		return v
	}
	for _, cad := range c.opts.Config.Nurture {
		if cad.Name != l.Nurture.Cadence {
			continue
		}
		if n := l.Nurture.Next; n >= 0 && n < len(cad.Steps) {
			st := cad.Steps[n]
			v.Next = fmt.Sprintf("day %d %s (%s)", st.Day, st.Channel, st.ID)
		} else if cad.Repeat > 0 {
			v.Next = "the cadence repeats from its first step"
		}
	}
	return v
}

// chart is the score-over-time line as SVG coordinates.
type chart struct {
	Width, Height int
	// The plot area's edges.
	X0, X1, Y0, Y1 float64
	Points         []chartPoint
	Polyline       string
	MinLabel       string
	MaxLabel       string
	Baseline       float64 // y of score 0 when inside the range
	HasBaseline    bool
}

// chartPoint is one score change.
type chartPoint struct {
	X, Y  float64
	At    time.Time
	Score float64
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH = 640, 180
	chartPadX      = 48
	chartPadY      = 20
)

// scoreChart plots the total after every score change, from the lead's
// history (the current score when the history holds none).
func scoreChart(l *lead.Lead) chart {
	var pts []chartPoint
	for _, h := range l.History {
		if h.Kind != "score" {
			continue
		}
		if v, err := strconv.ParseFloat(h.To, 64); err == nil {
			pts = append(pts, chartPoint{At: h.At, Score: v})
		}
	}
	if len(pts) == 0 {
		at := l.Score.At
		if at.IsZero() {
			at = l.UpdatedAt
		}
		pts = append(pts, chartPoint{At: at, Score: l.Score.Total})
	}
	lo, hi := 0.0, 100.0
	for _, p := range pts {
		lo, hi = min(lo, p.Score), max(hi, p.Score)
	}
	t0, t1 := pts[0].At, pts[len(pts)-1].At
	span := t1.Sub(t0)
	c := chart{
		Width: chartW, Height: chartH, X0: chartPadX, X1: chartW - chartPadX, Y0: chartPadY, Y1: chartH - chartPadY,
		MinLabel: fmt.Sprintf("%g", lo), MaxLabel: fmt.Sprintf("%g", hi),
	}
	y := func(v float64) float64 {
		return chartPadY + (hi-v)/(hi-lo)*float64(chartH-2*chartPadY)
	}
	var b strings.Builder
	for i := range pts {
		x := float64(chartPadX)
		if span > 0 {
			x += float64(pts[i].At.Sub(t0)) / float64(span) * float64(chartW-2*chartPadX)
		} else if len(pts) > 1 {
			x += float64(i) / float64(len(pts)-1) * float64(chartW-2*chartPadX)
		}
		pts[i].X, pts[i].Y = x, y(pts[i].Score)
		fmt.Fprintf(&b, "%.1f,%.1f ", pts[i].X, pts[i].Y)
	}
	c.Points, c.Polyline = pts, strings.TrimSpace(b.String())
	if lo < 0 {
		c.Baseline, c.HasBaseline = y(0), true
	}
	return c
}

// actionDone redirects back to the lead page with a message.
func (c *Console) actionDone(w http.ResponseWriter, r *http.Request, s *session, id, msg string, err error) {
	if err != nil {
		var le *lead.Error
		switch code := lead.ErrorCode(err); code {
		case lead.EINVALID, lead.EUNPROCESSABLE, lead.ENOTFOUND, lead.ECONFLICT:
			msg = "Not done: the lead could not take this action."
			if errors.As(err, &le) {
				msg = "Not done: " + le.Message + "."
			}
		default:
			c.opts.Log.ErrorContext(r.Context(), "console: action failed", "path", r.URL.Path, "lead_id", id, "code", code)
			msg = "Not done: the pipeline could not record it. Try again."
		}
		c.sessions.setFlash(s, flash{Error: true, Text: msg})
	} else {
		c.sessions.setFlash(s, flash{Text: msg})
	}
	http.Redirect(w, r, "/console/leads/"+id, http.StatusSeeOther)
}

func (c *Console) contacted(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	_, err := c.opts.Service.Contacted(r.Context(), id)
	c.actionDone(w, r, s, id, "Marked contacted: the SLA timer is stopped.", err)
}

func (c *Console) disqualify(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	_, err := c.opts.Service.Disqualify(r.Context(), id, r.PostFormValue("reason"))
	c.actionDone(w, r, s, id, "Disqualified.", err)
}

func (c *Console) reassign(w http.ResponseWriter, r *http.Request, s *session) {
	id, to := r.PathValue("id"), r.PostFormValue("owner")
	var err error
	if to == "" {
		err = &lead.Error{Code: lead.EUNPROCESSABLE, Field: "owner", Message: "choose the rep to reassign to"}
	} else {
		_, err = c.opts.Service.Reassign(r.Context(), id, to, strings.TrimSpace(r.PostFormValue("reason")))
	}
	c.actionDone(w, r, s, id, "Reassigned to "+to+".", err)
}
