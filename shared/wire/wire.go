// Package wire builds the pipeline from a loaded config and adapters, once,
// for every entry point: the Lambda mains (from the environment) and the
// local runtime (from a data directory). Backends are chosen here and only
// here.
package wire

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/crm"
	"github.com/leadflow/leadflow/shared/enrich"
	"github.com/leadflow/leadflow/shared/handlers"
	"github.com/leadflow/leadflow/shared/ids"
	"github.com/leadflow/leadflow/shared/metrics"
	"github.com/leadflow/leadflow/shared/nurture"
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
		Nurture:    nurtureRules(cfg),
	}
}

// nurtureRules converts the config's cadences for the nurture service; the
// steps keep the config's own condition and template methods.
func nurtureRules(cfg *config.Config) pipeline.NurtureRules {
	cadences := make([]*nurture.Cadence, len(cfg.Nurture))
	for i, c := range cfg.Nurture {
		steps := make([]nurture.Step, len(c.Steps))
		for j, s := range c.Steps {
			steps[j] = nurture.Step{ID: s.ID, Day: s.Day, Channel: s.Channel, Template: s.Template, Applies: s.Applies, Render: s.Render}
		}
		cadences[i] = &nurture.Cadence{Name: c.Name, Trigger: c.Trigger, RequiresConsent: c.RequiresConsent, Repeat: c.Repeat, Steps: steps}
	}
	return pipeline.NurtureRules{Cadences: cadences, EnrichMaxAge: cfg.Enrichment.MaxAge}
}

// Enricher builds the provider waterfall of the config, its monthly spend
// kept in store.
func Enricher(cfg *config.Config, store pipeline.Store, clock pipeline.Clock, m pipeline.Metrics, log *slog.Logger, secrets func(ctx context.Context, name string) (string, error)) (*enrich.Waterfall, error) {
	return enrich.New(cfg.Enrichment, cfg.FS, enrich.Options{
		Clock: clock, HTTPClient: &http.Client{Timeout: 30 * time.Second}, Secrets: secrets, Metrics: m, Logger: log,
		Ledger: enrich.StoreLedger{Store: store},
	})
}

// CRM builds the CRM sync of the config: nil when the config names no CRM
// URL (the crmsync consumer then acknowledges without sending). The signing
// secret is read through getenv (secret_env) or secrets (secret, a Secrets
// Manager id). Returns EINVALID when the config names a secret and secrets is
// nil.
func CRM(cfg *config.Config, clock pipeline.Clock, log *slog.Logger, getenv func(string) string, secrets func(ctx context.Context, name string) (string, error)) (pipeline.CRM, error) {
	if !cfg.CRM.Enabled() {
		return nil, nil
	}
	c, err := crm.New(cfg.CRM, crm.Options{HTTPClient: &http.Client{}, Getenv: getenv, Secrets: secrets, Clock: clock, Log: log})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// NewIDs returns the identifier generator.
func NewIDs(clock pipeline.Clock) pipeline.IDs { return ids.Generator{Clock: clock} }

// NewMetrics returns in-memory metrics for the local runtime.
func NewMetrics(*slog.Logger) *metrics.Memory { return &metrics.Memory{} }

// Handlers builds every queue and timer handler over one service.
func Handlers(svc *pipeline.Service, log *slog.Logger) *handlers.Set {
	return &handlers.Set{Service: svc, Log: log}
}
