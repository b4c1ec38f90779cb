// Package wire builds the pipeline from a loaded config and adapters, once,
// for every entry point: the Lambda mains (from the environment) and the
// local runtime (from a data directory). Backends are chosen here and only
// here.
package wire

import (
	"log/slog"

	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/handlers"
	"github.com/leadflow/leadflow/shared/ids"
	"github.com/leadflow/leadflow/shared/metrics"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// Rules converts a loaded config into what the pipeline services need.
func Rules(cfg *config.Config) pipeline.Rules {
	forms := make(map[string]pipeline.Form, len(cfg.Forms))
	for name, f := range cfg.Forms {
		forms[name] = pipeline.Form{Name: name, Source: f.Source, FieldMap: f.FieldMap, Required: f.Required, Honeypot: f.Honeypot}
	}
	sources := make(map[string]pipeline.Form, len(cfg.Sources))
	for name, s := range cfg.Sources {
		sources[name] = pipeline.Form{Name: name, Source: name, FieldMap: s.FieldMap}
	}
	return pipeline.Rules{
		Version:    cfg.Version,
		Forms:      forms,
		Sources:    sources,
		Scorer:     cfg.Scoring,
		Router:     cfg.Routing,
		SLA:        pipeline.SLA{AlertAfter: cfg.SLA.AlertAfter, ReassignAfter: cfg.SLA.ReassignAfter},
		RuleFields: cfg.RuleFields(),
	}
}

// NewIDs returns the identifier generator.
func NewIDs(clock pipeline.Clock) pipeline.IDs { return ids.Generator{Clock: clock} }

// NewMetrics returns in-memory metrics for the local runtime.
func NewMetrics(*slog.Logger) *metrics.Memory { return &metrics.Memory{} }

// Handlers builds every queue and timer handler over one service.
func Handlers(svc *pipeline.Service, log *slog.Logger) *handlers.Set {
	return &handlers.Set{Service: svc, Log: log}
}
