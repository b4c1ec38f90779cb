package replay

import (
	"context"
	"slices"

	"github.com/leadflow/leadflow/shared/lead"
)

// Memory is a Source over leads held in memory: an imported history file
// replayed without a store. It is read-only and safe for concurrent use.
type Memory struct {
	leads []*lead.Lead
	acts  map[string][]lead.Activity
}

var _ Source = (*Memory)(nil)

// NewMemory holds the items (FromHistory's output). Activities are kept
// oldest first, as the store returns them.
func NewMemory(items []Item) *Memory {
	m := &Memory{acts: make(map[string][]lead.Activity, len(items))}
	for _, it := range items {
		m.leads = append(m.leads, it.Lead)
		acts := slices.Clone(it.Activities)
		slices.SortStableFunc(acts, func(a, b lead.Activity) int { return a.OccurredAt.Compare(b.OccurredAt) })
		m.acts[it.Lead.ID] = acts
	}
	return m
}

// ScanLeads calls fn with a copy of every lead until fn returns an error,
// which it returns.
func (m *Memory) ScanLeads(ctx context.Context, fn func(*lead.Lead) error) error {
	for _, l := range m.leads {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := *l
		if err := fn(&c); err != nil {
			return err
		}
	}
	return nil
}

// Activities returns the lead's activities, oldest first; none for an
// unknown lead. It never fails.
func (m *Memory) Activities(_ context.Context, leadID string) ([]lead.Activity, error) {
	return slices.Clone(m.acts[leadID]), nil
}

// GetAccount returns ENOTFOUND: imported history has no accounts.
func (m *Memory) GetAccount(_ context.Context, domain string) (*lead.Account, error) {
	return nil, lead.Errorf(lead.ENOTFOUND, "account %s: history has no accounts", domain)
}
