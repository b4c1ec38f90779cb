package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/lead"
)

// Enrichment triggers.
const (
	TriggerNew     = "new"
	TriggerSweep   = "sweep"
	TriggerNurture = "nurture"
)

// Enrich fills the lead's missing fields from the providers and publishes
// lead.enriched. A provider failure or timeout is recorded on the lead and
// never stops it: scoring goes on with what is known. For TriggerNew it runs
// once per lead; a redelivery only republishes what is pending.
func (s *Service) Enrich(ctx context.Context, leadID, trigger, correlation string) error {
	l, err := s.Store.GetLead(ctx, leadID)
	if err != nil {
		return err
	}
	if trigger == TriggerNew && l.Enrichment.Status != lead.EnrichmentPending && l.Enrichment.Status != "" {
		return s.flush(ctx, l)
	}
	res := EnrichResult{Status: lead.EnrichmentSkipped}
	if s.Enricher != nil {
		res, err = s.Enricher.Enrich(ctx, EnrichRequest{Lead: l, Fields: s.Rules.RuleFields})
		if err != nil {
			// The lead goes on unenriched; the failure is on the record.
			res = EnrichResult{Status: lead.EnrichmentFailed, Error: err.Error()}
		}
	}
	if res.Status == lead.EnrichmentFailed {
		s.count("enrichment_failures", 1, "trigger", trigger)
	}
	now := s.Clock.Now().UTC()
	_, err = s.mutateFrom(ctx, leadID, l, func(cur *lead.Lead) ([]events.Detail, bool, error) {
		if trigger == TriggerNew && cur.Enrichment.Status != lead.EnrichmentPending && cur.Enrichment.Status != "" {
			return nil, false, nil
		}
		applyFields(cur, res.Values)
		lead.Normalize(cur)
		s.formatPhone(cur)
		cur.Enrichment = lead.Enrichment{Status: res.Status, Provider: res.Provider, Error: res.Error, Sources: res.Sources, At: now}
		history(cur, now, "enrichment", "", res.Status, trigger)
		providers := []string(nil)
		if res.Provider != "" {
			providers = strings.Split(res.Provider, ",")
		}
		return []events.Detail{events.Enriched{Header: s.header(cur, correlation), Status: res.Status, Providers: providers, Trigger: trigger}}, true, nil
	})
	if err != nil {
		return err
	}
	if l.Domain != "" && len(res.Values) > 0 {
		return s.updateAccount(ctx, l.Domain, res.Values, now)
	}
	return nil
}

// updateAccount keeps the account's firmographics in step with enrichment.
func (s *Service) updateAccount(ctx context.Context, domain string, v map[string]any, now time.Time) error {
	a, err := s.Store.GetAccount(ctx, domain)
	if lead.IsCode(err, lead.ENOTFOUND) {
		a, err = &lead.Account{Domain: domain}, nil
	}
	if err != nil {
		return fmt.Errorf("get account: %w", err)
	}
	if x, ok := v["company"].(string); ok && x != "" {
		a.Name = x
	}
	if x, ok := v["industry"].(string); ok && x != "" {
		a.Industry = strings.ToLower(x)
	}
	if n := asInt(v["employees"]); n > 0 {
		a.Employees = n
	}
	if x, ok := v["country"].(string); ok && x != "" {
		a.Country = x
	}
	if x, ok := v["tech"].([]string); ok && len(x) > 0 {
		a.Tech = x
	}
	a.UpdatedAt = now
	if err := s.Store.PutAccount(ctx, a); err != nil {
		return fmt.Errorf("put account: %w", err)
	}
	return nil
}

// applyFields sets enriched values on the lead. The enricher has already
// decided precedence (form values win unless a provider is configured to).
func applyFields(l *lead.Lead, v map[string]any) {
	for field, val := range v {
		str, _ := val.(string)
		switch field {
		case "company":
			l.Company = str
		case "industry":
			l.Industry = strings.ToLower(str)
		case "employees":
			if n := asInt(val); n > 0 {
				l.Employees = n
			}
		case "country":
			l.Country = str
		case "state":
			l.State = str
		case "title":
			l.Title = str
		case "website":
			l.Website = str
		case "phone":
			l.Phone = str
		}
	}
}

func asInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	case string:
		i, _ := strconv.Atoi(strings.TrimSpace(n))
		return i
	}
	return 0
}

// Score recomputes the lead's score and stage and publishes lead.scored,
// plus lead.stage_changed when the stage moved. Idempotent: the same state
// and clock give the same score, and nothing is written when nothing changed.
func (s *Service) Score(ctx context.Context, leadID, correlation string) error {
	now := s.Clock.Now().UTC()
	var acct *lead.Account
	_, err := s.mutate(ctx, leadID, func(cur *lead.Lead) ([]events.Detail, bool, error) {
		// Read after the lead, on every attempt: an event stored since
		// then bumps the lead, so the conditional write fails and the
		// activities are read again. Read before, a slow delivery would
		// overwrite a newer score with one missing that event.
		acts, err := s.Store.Activities(ctx, leadID)
		if err != nil {
			return nil, false, fmt.Errorf("activities of lead %s: %w", leadID, err)
		}
		if acct == nil && cur.Domain != "" {
			a, err := s.Store.GetAccount(ctx, cur.Domain)
			if err != nil && !lead.IsCode(err, lead.ENOTFOUND) {
				return nil, false, fmt.Errorf("get account: %w", err)
			}
			acct = a
		}
		sc := s.Rules.Scorer.Score(cur, acct, acts, now)
		sc.ConfigVersion = s.Rules.Version
		next, cause := s.Rules.Scorer.NextStage(cur.Stage, sc, cur.Routed(), acts, now)
		if sameScore(cur.Score, sc) && next == cur.Stage {
			return nil, false, nil
		}
		h := s.header(cur, correlation)
		var out []events.Detail
		if !sameScore(cur.Score, sc) {
			history(cur, now, "score", fmt.Sprintf("%g", cur.Score.Total), fmt.Sprintf("%g", sc.Total), reasonCodes(sc))
		}
		cur.Score = sc
		if next != cur.Stage {
			from := cur.Stage
			history(cur, now, "stage", string(from), string(next), cause)
			cur.Stage = next
			out = append(out, events.StageChanged{Header: h, From: from, To: next, Cause: cause})
			s.count("stage_changes", 1, "to", string(next))
		}
		out = append(out, events.Scored{Header: h, Total: sc.Total, Fit: sc.Fit, Intent: sc.Intent, Timing: sc.Timing, Stage: cur.Stage, ConfigVersion: sc.ConfigVersion})
		return out, true, nil
	})
	return err
}

func sameScore(a, b lead.Score) bool {
	if a.Total != b.Total || a.Fit != b.Fit || a.Intent != b.Intent || a.Timing != b.Timing || len(a.Reasons) != len(b.Reasons) {
		return false
	}
	for i := range a.Reasons {
		if a.Reasons[i].Code != b.Reasons[i].Code || a.Reasons[i].Points != b.Reasons[i].Points {
			return false
		}
	}
	return true
}

func reasonCodes(s lead.Score) string {
	codes := make([]string, len(s.Reasons))
	for i, r := range s.Reasons {
		codes[i] = fmt.Sprintf("%s %+g", r.Code, r.Points)
	}
	return strings.Join(codes, ", ")
}
