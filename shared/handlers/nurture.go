package handlers

import (
	"context"

	"github.com/leadflow/leadflow/events"
)

// nurture handles the nurture queue: stage changes, enrichments and exit
// activities start or end a lead's cadence (the touches themselves run on
// the nurture timer, pipeline.Service.NurtureTouch).
func (s *Set) nurture() recordFunc {
	svc := s.Service
	return func(ctx context.Context, _ events.Envelope, d events.Detail) error {
		return svc.NurtureEvent(ctx, d)
	}
}
