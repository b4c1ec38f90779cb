package console

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/audit"
	"github.com/leadflow/leadflow/shared/lead"
)

// row is the part of a lead the list, funnel, fairness and audit pages
// need. A page scans the store once into rows and works on them, so a
// 10,000-lead store is read once per request and the full leads (history,
// extras, touches) are dropped as the scan goes.
type row struct {
	ID, Name, Email, Company string
	Stage                    lead.Stage
	Owner, Team, Queue       string
	Source, Outcome          string
	Score                    float64
	// ScoreAtRoute is the total when the lead was routed (the score the
	// routing decision saw); the current total for an unrouted lead.
	ScoreAtRoute float64
	// Reached is the highest funnel rank the lead ever held: a
	// disqualified SQL counts as having reached SQL.
	Reached                          int
	CreatedAt, RoutedAt, ContactedAt time.Time
}

func newRow(l *lead.Lead) row {
	r := row{
		ID: l.ID, Name: strings.TrimSpace(l.FirstName + " " + l.LastName), Email: l.Email, Company: l.Company,
		Stage: l.Stage, Owner: l.Owner, Team: l.Team, Queue: l.Queue, Source: l.Source, Outcome: l.Outcome,
		Score: l.Score.Total, ScoreAtRoute: l.Score.Total, Reached: l.Stage.Rank(),
		CreatedAt: l.CreatedAt, RoutedAt: l.RoutedAt, ContactedAt: l.ContactedAt,
	}
	routedSeen := false
	for i := len(l.History) - 1; i >= 0; i-- {
		h := l.History[i]
		switch h.Kind {
		case "stage":
			r.Reached = max(r.Reached, lead.Stage(h.To).Rank(), lead.Stage(h.From).Rank())
		case "score":
			// The latest score change at or before routing is the score the
			// decision saw.
			if !l.RoutedAt.IsZero() && !routedSeen && !h.At.After(l.RoutedAt) {
				if v, err := strconv.ParseFloat(h.To, 64); err == nil {
					r.ScoreAtRoute, routedSeen = v, true
				}
			}
		}
	}
	return r
}

// scan reads every lead into rows.
func (c *Console) scan(ctx context.Context) ([]row, error) {
	rows := make([]row, 0, 1024)
	err := c.opts.Service.Store.ScanLeads(ctx, func(l *lead.Lead) error {
		rows = append(rows, newRow(l))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan leads: %w", err)
	}
	return rows, nil
}

// band is a score band of the leads filter.
type band struct {
	ID, Label string
	Min, Max  float64 // Min ≤ score < Max
}

// bands follow the reference model's thresholds: below engaged, engaged,
// towards mql, mql, sql.
var bands = []band{
	{"neg", "below 0", -1e18, 0},
	{"0-19", "0–19", 0, 20},
	{"20-39", "20–39", 20, 40},
	{"40-59", "40–59", 40, 60},
	{"60-79", "60–79", 60, 80},
	{"80+", "80 and above", 80, 1e18},
}

func bandByID(id string) (band, bool) {
	for _, b := range bands {
		if b.ID == id {
			return b, true
		}
	}
	return band{}, false
}

// filter is the leads page's query: none of it is personal data; the
// search text stays in the session behind Search.
type filter struct {
	Stage, Owner, Source, Band string
	Search                     string // opaque search id
	Sort, Dir                  string
	Page                       int
	text                       string // the search text, from the session
}

// unassigned is the owner filter value of leads with no owner.
const unassigned = "-"

// sortKeys are the sortable columns.
var sortKeys = []string{"score", "created", "name", "company", "stage", "owner"}

func (f filter) match(r *row) bool {
	if f.Stage != "" && string(r.Stage) != f.Stage {
		return false
	}
	if f.Owner == unassigned && r.Owner != "" || f.Owner != "" && f.Owner != unassigned && r.Owner != f.Owner {
		return false
	}
	if f.Source != "" && r.Source != f.Source {
		return false
	}
	if b, ok := bandByID(f.Band); ok && (r.Score < b.Min || r.Score >= b.Max) {
		return false
	}
	if f.text != "" && !containsFold(r.Email, f.text) && !containsFold(r.Company, f.text) {
		return false
	}
	return true
}

// containsFold reports whether s contains sub, ignoring ASCII case; sub is
// already lower-cased.
func containsFold(s, sub string) bool {
	if len(sub) > len(s) {
		return false
	}
	return strings.Contains(strings.ToLower(s), sub)
}

func (f filter) compare(a, b *row) int {
	var c int
	switch f.Sort {
	case "created":
		c = a.CreatedAt.Compare(b.CreatedAt)
	case "name":
		c = strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	case "company":
		c = strings.Compare(strings.ToLower(a.Company), strings.ToLower(b.Company))
	case "stage":
		c = cmp.Compare(a.Stage.Rank(), b.Stage.Rank())
	case "owner":
		c = strings.Compare(a.Owner, b.Owner)
	default:
		c = cmp.Compare(a.Score, b.Score)
	}
	if f.Dir == "desc" {
		c = -c
	}
	if c == 0 {
		c = strings.Compare(a.ID, b.ID) // a stable order across pages
	}
	return c
}

// pageSize is how many leads a list page shows.
const pageSize = 50

// selectRows filters and sorts rows and returns one page of them with the
// number that matched. A current row read from the store (the lead an
// exact email search found) takes the place of its snapshot row.
func selectRows(rows []row, f filter, current *row) ([]*row, int) {
	matched := make([]*row, 0, len(rows))
	for i := range rows {
		if current != nil && rows[i].ID == current.ID {
			continue
		}
		if f.match(&rows[i]) {
			matched = append(matched, &rows[i])
		}
	}
	if current != nil && f.match(current) {
		matched = append(matched, current)
	}
	slices.SortFunc(matched, f.compare)
	from := min((f.Page-1)*pageSize, len(matched))
	to := min(from+pageSize, len(matched))
	return matched[from:to], len(matched)
}

// auditRecords turns rows into the closed-loop audit's records: the score
// the routing decision saw, won for customers, lost for closed_lost, the
// speed from capture to routing, and the SLA clock of owned leads (breached
// when contact came, or has not come, later than alertAfter).
func auditRecords(rows []row, now time.Time, alertAfter time.Duration) []audit.Record {
	out := make([]audit.Record, len(rows))
	for i := range rows {
		r := &rows[i]
		rec := audit.Record{
			Score: r.ScoreAtRoute, HasScore: true, Outcome: audit.Open, Source: r.Source,
			CreatedAt: r.CreatedAt, Stage: string(r.Stage),
		}
		switch {
		case r.Stage == lead.StageCustomer || r.Outcome == "closed_won":
			rec.Outcome = audit.Won
		case r.Stage == lead.StageClosedLost || r.Outcome == "closed_lost":
			rec.Outcome = audit.Lost
		}
		if !r.RoutedAt.IsZero() {
			rec.SpeedToLead, rec.HasSpeedToLead = r.RoutedAt.Sub(r.CreatedAt), true
		}
		if r.Owner != "" && !r.RoutedAt.IsZero() {
			rec.SLATracked = true
			contact := r.ContactedAt
			if contact.IsZero() {
				contact = now
			}
			rec.SLABreached = contact.Sub(r.RoutedAt) > alertAfter
		}
		out[i] = rec
	}
	return out
}
