// Package providers wires the outside data sources and sinks of a function:
// the enrichment waterfall and the CRM sync.
package providers

import (
	"context"

	"github.com/leadflow/leadflow/shared/secrets"
	"github.com/leadflow/leadflow/shared/wire"
)

// Enricher is the config's provider waterfall, with API keys from Secrets
// Manager.
var Enricher = wire.Option{Provides: wire.NeedEnricher, Apply: func(_ context.Context, c *wire.Cloud) error {
	e, err := wire.Enricher(c.Config, c.Service.Store, c.Service.Clock, c.Service.Metrics, c.Log, secrets.NewFromConfig(c.AWS).Get)
	if err != nil {
		return err
	}
	c.Service.Enricher = e
	return nil
}}

// CRM is the config's CRM sync, its signing secret from the environment or
// Secrets Manager.
var CRM = wire.Option{Provides: wire.NeedCRM, Apply: func(_ context.Context, c *wire.Cloud) error {
	crm, err := wire.CRM(c.Config, c.Service.Clock, c.Log, c.Getenv, secrets.NewFromConfig(c.AWS).Get)
	if err != nil {
		return err
	}
	c.Service.CRM = crm
	return nil
}}
