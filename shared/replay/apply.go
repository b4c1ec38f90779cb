package replay

import (
	"context"
	"fmt"
	"strconv"

	"github.com/leadflow/leadflow/shared/lead"
)

// Writer is the part of the Store port Apply writes through.
type Writer interface {
	GetLead(ctx context.Context, id string) (*lead.Lead, error)
	UpdateLead(ctx context.Context, l *lead.Lead) error
}

// Applied counts what Apply wrote.
type Applied struct {
	Updated int `json:"updated"`
	// Conflicts are leads changed (or erased) since the replay read them:
	// left alone, as the replay's result for them is stale. Replay again.
	Conflicts []string `json:"conflicts"`
}

// Apply writes the candidate's score and stage to every lead where they
// differ from the stored ones, with a history entry for each change.
// Concurrency is optimistic: a lead is written only at the version the
// replay read, and one changed or deleted since is listed in Conflicts.
// Routing is not applied: a lead moved to sql is routed by the pipeline the
// next time it scores the lead. Returns the first other store error,
// wrapped; leads written before it stay written.
func (r *Report) Apply(ctx context.Context, w Writer) (Applied, error) {
	res := Applied{Conflicts: []string{}}
	for _, u := range r.updates {
		l, err := w.GetLead(ctx, u.id)
		switch {
		case lead.IsCode(err, lead.ENOTFOUND):
			res.Conflicts = append(res.Conflicts, u.id)
			continue
		case err != nil:
			return res, fmt.Errorf("apply to lead %s: %w", u.id, err)
		case l.Version != u.version:
			res.Conflicts = append(res.Conflicts, u.id)
			continue
		}
		cause := "replay of config " + r.version
		if !sameScore(l.Score, u.score) {
			l.History = append(l.History, lead.Change{At: r.At, Kind: "score", From: strconv.FormatFloat(l.Score.Total, 'g', -1, 64), To: strconv.FormatFloat(u.score.Total, 'g', -1, 64), Cause: cause})
		}
		if l.Stage != u.stage {
			l.History = append(l.History, lead.Change{At: r.At, Kind: "stage", From: string(l.Stage), To: string(u.stage), Cause: cause + ": " + u.cause})
		}
		l.Score, l.Stage, l.UpdatedAt = u.score, u.stage, r.At
		switch err := w.UpdateLead(ctx, l); {
		case lead.IsCode(err, lead.ECONFLICT), lead.IsCode(err, lead.ENOTFOUND):
			res.Conflicts = append(res.Conflicts, u.id)
		case err != nil:
			return res, fmt.Errorf("apply to lead %s: %w", u.id, err)
		default:
			res.Updated++
		}
	}
	return res, nil
}
