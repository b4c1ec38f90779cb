package console

import (
	"bytes"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/leadflow/leadflow/shared/audit"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/routing"
)

// queuesData is the owner queues page: every rep's open leads by priority.
type queuesData struct {
	Teams []teamQueues
}

type teamQueues struct {
	ID, Name string
	Reps     []repQueue
}

type repQueue struct {
	ID, Name string
	Open     int
	Capacity int
	Leads    []queueLead
	More     int // open leads not listed
}

type queueLead struct {
	ID, Name, Company string
	Stage             lead.Stage
	Score             float64
	RoutedAt          time.Time
	SLA               string
	Late              bool
}

// queueShown is how many leads of each rep's queue the page lists.
const queueShown = 10

// queuesPage reads the owner index only (never a scan of all leads).
func (c *Console) queuesPage(w http.ResponseWriter, r *http.Request, s *session) {
	now := c.now()
	rules := c.opts.Service.Rules.SLA
	rc := c.opts.Config.RoutingConfig
	d := &queuesData{}
	for _, t := range rc.Teams {
		tq := teamQueues{ID: t.ID, Name: t.Name}
		for _, id := range t.Reps {
			rep, _ := c.opts.Service.Rules.Router.Rep(id) // the config checked every team's reps
			open, err := c.opts.Service.Store.OpenLeads(r.Context(), id)
			if err != nil {
				c.storeFailed(w, r, s, err)
				return
			}
			leads, err := c.opts.Service.Store.OwnerQueue(r.Context(), id, queueShown)
			if err != nil {
				c.storeFailed(w, r, s, err)
				return
			}
			rq := repQueue{ID: id, Name: rep.Name, Open: open, Capacity: rep.Capacity, More: max(0, open-len(leads))}
			for _, l := range leads {
				q := queueLead{ID: l.ID, Name: l.FirstName + " " + l.LastName, Company: l.Company, Stage: l.Stage, Score: l.Score.Total, RoutedAt: l.RoutedAt}
				age := now.Sub(l.RoutedAt)
				switch {
				case !l.ContactedAt.IsZero():
					q.SLA = "contacted"
				case age < rules.AlertAfter:
					q.SLA = "due in " + humanDuration(rules.AlertAfter-age)
				case age < rules.ReassignAfter:
					q.SLA, q.Late = "overdue by "+humanDuration(age-rules.AlertAfter), true
				default:
					q.SLA, q.Late = "breached", true
				}
				rq.Leads = append(rq.Leads, q)
			}
			tq.Reps = append(tq.Reps, rq)
		}
		d.Teams = append(d.Teams, tq)
	}
	c.render(w, r, http.StatusOK, "queues", s, &view{Title: "Owner queues", Nav: "queues", Data: d})
}

// fairnessData is the routing fairness page.
type fairnessData struct {
	Window  string
	Windows []windowOption
	From    time.Time
	Teams   []teamFairness
}

type windowOption struct {
	ID, Label string
	Days      int
}

var windows = []windowOption{{"7d", "last 7 days", 7}, {"30d", "last 30 days", 30}, {"90d", "last 90 days", 90}, {"all", "all time", 0}}

type teamFairness struct {
	ID, Name string
	Routed   int
	Queued   int
	Reps     []repFairness
}

type repFairness struct {
	ID, Name string
	Leads    int
	Share    float64
	// Deviation is the share minus the even share of the reps listed.
	Deviation float64
	OnPTO     bool
	PTO       []routing.PTO // absences overlapping the window
	Bar       float64       // bar width in the chart, 0–200
}

func (c *Console) fairnessPage(w http.ResponseWriter, r *http.Request, s *session) {
	now := c.now()
	win := windows[1]
	for _, o := range windows {
		if o.ID == r.URL.Query().Get("window") {
			win = o
		}
	}
	var from time.Time
	if win.Days > 0 {
		from = now.AddDate(0, 0, -win.Days)
	}
	rows, at, err := c.snap.get(r.Context())
	if err != nil {
		c.storeFailed(w, r, s, err)
		return
	}
	perRep := map[string]int{}
	queued := map[string]int{}
	for i := range rows {
		x := &rows[i]
		if x.RoutedAt.IsZero() || x.RoutedAt.Before(from) {
			continue
		}
		if x.Owner != "" {
			perRep[x.Team+"/"+x.Owner]++
		} else if x.Queue != "" {
			queued[x.Team]++
		}
	}
	d := &fairnessData{Window: win.ID, Windows: windows, From: from}
	for _, t := range c.opts.Config.RoutingConfig.Teams {
		tf := teamFairness{ID: t.ID, Name: t.Name, Queued: queued[t.ID]}
		for _, id := range t.Reps {
			tf.Routed += perRep[t.ID+"/"+id]
		}
		most := 1
		for _, id := range t.Reps {
			most = max(most, perRep[t.ID+"/"+id])
		}
		for _, id := range t.Reps {
			rep, _ := c.opts.Service.Rules.Router.Rep(id)
			rf := repFairness{ID: id, Name: rep.Name, Leads: perRep[t.ID+"/"+id], Bar: 200 * float64(perRep[t.ID+"/"+id]) / float64(most)}
			if tf.Routed > 0 {
				rf.Share = float64(rf.Leads) / float64(tf.Routed)
				rf.Deviation = rf.Share - 1/float64(len(t.Reps))
			}
			rf.OnPTO, rf.PTO = pto(rep, from, now)
			tf.Reps = append(tf.Reps, rf)
		}
		d.Teams = append(d.Teams, tf)
	}
	c.render(w, r, http.StatusOK, "fairness", s, &view{Snapshot: at, Title: "Routing fairness", Nav: "fairness", Data: d})
}

// pto reports whether the rep is absent today (in the rep's time zone) and
// the absences that overlap [from, now]; the dates are inclusive
// YYYY-MM-DD, which compare as strings.
func pto(rep routing.Rep, from, now time.Time) (bool, []routing.PTO) {
	loc, err := time.LoadLocation(rep.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	today := now.In(loc).Format(time.DateOnly)
	start := ""
	if !from.IsZero() {
		start = from.In(loc).Format(time.DateOnly)
	}
	on := false
	var out []routing.PTO
	for _, p := range rep.PTO {
		if p.From <= today && today <= p.To {
			on = true
		}
		if p.To >= start && p.From <= today {
			out = append(out, p)
		}
	}
	return on, out
}

// funnelData is the funnel page: how far leads got, per stage and source.
type funnelData struct {
	Leads   int
	Stages  []funnelStage
	Sources []sourceFunnel
	Outside []audit.StageCount
	Speed   audit.Percentiles
	Routed  int
}

type funnelStage struct {
	Stage   lead.Stage
	Current int // leads at the stage now
	Reached int // leads that reached it or a later one
	// Conversion is Reached over the previous stage's Reached.
	Conversion float64
	HasConv    bool
}

type sourceFunnel struct {
	Source string
	Cells  []funnelCell
}

type funnelCell struct {
	Reached    int
	Conversion float64
	HasConv    bool
}

// funnelStages are the funnel in order (ranks 0–6).
var funnelStages = []lead.Stage{lead.StageNew, lead.StageEngaged, lead.StageMQL, lead.StageSQL, lead.StageSAL, lead.StageOpportunity, lead.StageCustomer}

func (c *Console) funnelPage(w http.ResponseWriter, r *http.Request, s *session) {
	rows, at, err := c.snap.get(r.Context())
	if err != nil {
		c.storeFailed(w, r, s, err)
		return
	}
	reached := func(rs []*row) []int {
		n := make([]int, len(funnelStages))
		for _, x := range rs {
			for k := 0; k <= x.Reached && k < len(n); k++ {
				n[k]++
			}
		}
		return n
	}
	all := make([]*row, len(rows))
	bySource := map[string][]*row{}
	current := map[lead.Stage]int{}
	for i := range rows {
		x := &rows[i]
		all[i] = x
		src := x.Source
		if src == "" {
			src = "(unknown)"
		}
		bySource[src] = append(bySource[src], x)
		current[x.Stage]++
	}
	d := &funnelData{Leads: len(rows)}
	total := reached(all)
	for k, st := range funnelStages {
		fs := funnelStage{Stage: st, Current: current[st], Reached: total[k]}
		if k > 0 && total[k-1] > 0 {
			fs.Conversion, fs.HasConv = float64(total[k])/float64(total[k-1]), true
		}
		d.Stages = append(d.Stages, fs)
	}
	for _, st := range []lead.Stage{lead.StageDisqualified, lead.StageClosedLost} {
		d.Outside = append(d.Outside, audit.StageCount{Stage: string(st), Leads: current[st]})
	}
	sources := make([]string, 0, len(bySource))
	for src := range bySource {
		sources = append(sources, src)
	}
	slices.Sort(sources)
	for _, src := range sources {
		n := reached(bySource[src])
		sf := sourceFunnel{Source: src}
		for k := range n {
			cell := funnelCell{Reached: n[k]}
			if k > 0 && n[k-1] > 0 {
				cell.Conversion, cell.HasConv = float64(n[k])/float64(n[k-1]), true
			}
			sf.Cells = append(sf.Cells, cell)
		}
		d.Sources = append(d.Sources, sf)
	}
	rep, err := audit.New(auditRecords(rows, c.now(), c.opts.Service.Rules.SLA.AlertAfter), audit.Options{})
	if err != nil {
		c.storeFailed(w, r, s, err)
		return
	}
	d.Speed, d.Routed = rep.SpeedToLead, rep.SpeedToLead.N
	c.render(w, r, http.StatusOK, "funnel", s, &view{Snapshot: at, Title: "Funnel", Nav: "funnel", Data: d})
}

// auditData is the closed-loop audit page.
type auditData struct {
	Report *audit.Report
	Chart  template.HTML
}

func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, s *session) {
	rows, at, err := c.snap.get(r.Context())
	if err != nil {
		c.storeFailed(w, r, s, err)
		return
	}
	rep, err := audit.New(auditRecords(rows, c.now(), c.opts.Service.Rules.SLA.AlertAfter), audit.Options{})
	if err != nil {
		c.storeFailed(w, r, s, err)
		return
	}
	var svg bytes.Buffer
	if err := rep.WriteSVG(&svg); err != nil {
		c.storeFailed(w, r, s, err)
		return
	}
	// WriteSVG escapes every text it writes (audit.esc) and the rest is
	// numbers and fixed markup, so it is safe to embed as is.
	d := &auditData{Report: rep, Chart: template.HTML(svg.String())}
	c.render(w, r, http.StatusOK, "audit", s, &view{Snapshot: at, Title: "Audit", Nav: "audit", Data: d})
}
