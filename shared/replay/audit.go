package replay

import (
	"strings"

	"github.com/leadflow/leadflow/shared/audit"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/scoring"
)

// AuditRecord turns a lead into an audit record with the given score and
// stage (the stored ones, or a replay's). A score that was never computed
// (no reasons, no time) counts as none. The outcome is won for a customer
// or a closed_won outcome, lost for closed_lost, open otherwise.
// Speed-to-lead runs from creation to routing; a lead is SLA-tracked once it
// had an owner or an imported SLA entry, and breached when it was reassigned
// for want of contact or imported as breached.
func AuditRecord(l *lead.Lead, s lead.Score, stage lead.Stage) audit.Record {
	r := audit.Record{
		Score: s.Total, HasScore: !s.At.IsZero() || len(s.Reasons) > 0,
		Outcome: audit.Open, Source: l.Source, CreatedAt: l.CreatedAt, Stage: string(stage),
		SLATracked: l.Owner != "",
	}
	switch {
	case stage == lead.StageCustomer || l.Outcome == scoring.OutcomeClosedWon:
		r.Outcome = audit.Won
	case stage == lead.StageClosedLost || l.Outcome == scoring.OutcomeClosedLost:
		r.Outcome = audit.Lost
	}
	if !l.RoutedAt.IsZero() && !l.CreatedAt.IsZero() && !l.RoutedAt.Before(l.CreatedAt) {
		r.SpeedToLead, r.HasSpeedToLead = l.RoutedAt.Sub(l.CreatedAt), true
	}
	for _, c := range l.History {
		switch {
		case c.Kind == "sla":
			r.SLATracked = true
			r.SLABreached = r.SLABreached || c.To == "breached"
		case c.Kind == "owner" && strings.HasPrefix(c.Cause, "not contacted within"):
			// The pipeline's SLA reassignment (pipeline.CheckSLA).
			r.SLATracked, r.SLABreached = true, true
		}
	}
	return r
}
