package scoring

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

// NextStage decides the stage a score earns, SPEC §5. Automation only acts
// on new, engaged, mql and sql, and only moves a lead up — except that a
// not-yet-routed mql lead whose total falls below the MQL floor goes back to
// engaged. Stages set by people or the CRM (sal, opportunity, customer,
// closed_lost, disqualified) never change here. It returns the current stage
// and "" when nothing changes, otherwise the new stage and its cause, e.g.
// "score 62 ≥ mql 60". The fast track (a demo request with enough fit) is
// read from the activities at now, so it holds exactly while a matching
// activity is inside the intent window. When the score carries
// CodeModelGuard, sql is judged on the total without the predicted points.
func (m *Model) NextStage(cur lead.Stage, s lead.Score, routed bool, acts []lead.Activity, now time.Time) (lead.Stage, string) {
	switch cur {
	case lead.StageNew, lead.StageEngaged, lead.StageMQL, lead.StageSQL:
	default:
		return cur, ""
	}
	t := m.spec.Thresholds
	target, cause := lead.StageNew, ""
	if s.Total >= t.Engaged && s.Intent > 0 {
		target, cause = lead.StageEngaged, fmt.Sprintf("score %s ≥ engaged %s with intent %s > 0", num(s.Total), num(t.Engaged), num(s.Intent))
	}
	if s.Total >= t.MQL {
		target, cause = lead.StageMQL, fmt.Sprintf("score %s ≥ mql %s", num(s.Total), num(t.MQL))
	}
	sqlTotal := s.Total
	if slices.ContainsFunc(s.Reasons, func(r lead.Reason) bool { return r.Code == CodeModelGuard }) {
		sqlTotal -= s.Predicted
	}
	if s.Fit >= t.SQLMinFit {
		if sqlTotal >= t.SQL {
			target, cause = lead.StageSQL, fmt.Sprintf("score %s ≥ sql %s with fit %s ≥ %s", num(s.Total), num(t.SQL), num(s.Fit), num(t.SQLMinFit))
		} else if code := m.fastTracked(acts, now); code != "" {
			target, cause = lead.StageSQL, fmt.Sprintf("%s with fit %s ≥ %s", code, num(s.Fit), num(t.SQLMinFit))
		}
	}
	if target.Rank() > cur.Rank() {
		return target, cause
	}
	if cur == lead.StageMQL && !routed && s.Total < t.MQLFloor {
		return lead.StageEngaged, fmt.Sprintf("score %s < mql floor %s, not routed", num(s.Total), num(t.MQLFloor))
	}
	return cur, ""
}

// fastTracked returns the code of the first fast-track rule with a
// matching activity whose points still count at now.
func (m *Model) fastTracked(acts []lead.Activity, now time.Time) string {
	if len(m.fastTrack) == 0 {
		return ""
	}
	sc := m.getScratch()
	defer m.putScratch(sc)
	sc.frame.bind(nil, nil, acts, now)
	for _, ri := range m.fastTrack {
		r := &m.rules[ri]
		for i := range acts {
			act := &acts[i]
			if (!r.NoDecay && m.Decay(now.Sub(act.OccurredAt)) == 0) || (r.expr.guard != nil && !r.expr.guard[act.Type]) {
				continue
			}
			bound := false
			if ok, err := r.expr.match(&sc.frame, act, &bound); err == nil && ok {
				return r.Code
			}
		}
	}
	return ""
}

// num formats a score without trailing zeros: 62, 2.5, 0.625.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Outcomes and actions that move a stage, SPEC §5 and §8.
const (
	OutcomeSalesAccepted = "sales_accepted"
	OutcomeSalesRejected = "sales_rejected" // reason required
	OutcomeOpportunity   = "opportunity"
	OutcomeClosedWon     = "closed_won"
	OutcomeClosedLost    = "closed_lost"
	ActionDisqualify     = "disqualify" // reason required
	ActionRecycle        = "recycle"
)

// Apply moves a stage for a CRM outcome or a rep action and returns the new
// stage and the cause to log. sales_rejected and disqualify lead to
// disqualified; closed_lost parks the lead in closed_lost, where the general
// nurture track takes it; recycle returns a lead to new so that its next
// score decides its stage again. Returns EINVALID for an unknown outcome and
// EUNPROCESSABLE when a required reason is missing.
func Apply(cur lead.Stage, outcome, reason string) (lead.Stage, string, error) {
	var to lead.Stage
	switch outcome {
	case OutcomeSalesAccepted:
		to = lead.StageSAL
	case OutcomeOpportunity:
		to = lead.StageOpportunity
	case OutcomeClosedWon:
		to = lead.StageCustomer
	case OutcomeClosedLost:
		to = lead.StageClosedLost
	case OutcomeSalesRejected, ActionDisqualify:
		if reason == "" {
			return cur, "", &lead.Error{Code: lead.EUNPROCESSABLE, Field: "reason", Message: outcome + " requires a reason"}
		}
		to = lead.StageDisqualified
	case ActionRecycle:
		to = lead.StageNew
	default:
		return cur, "", lead.FieldError("outcome", "unknown outcome %q", outcome)
	}
	cause := outcome
	if reason != "" {
		cause += ": " + reason
	}
	return to, cause, nil
}
