// Package httpfn holds the HTTP functions, API Gateway's targets: capture
// (public and signed routes) and api (internal routes).
package httpfn

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/leadflow/leadflow/shared/awsenv"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/secrets"
	"github.com/leadflow/leadflow/shared/wire"
)

// WebhookKeys is the JSON held in the webhook secret: the HMAC secret of
// signed webhooks, accepted API keys and the LinkedIn app secret.
type WebhookKeys struct {
	HMACSecret     string   `json:"hmac_secret"`
	APIKeys        []string `json:"api_keys"`
	LinkedInSecret string   `json:"linkedin_secret"`
}

// Capture serves the public form route and the signed webhooks (LinkedIn,
// behaviour events, CRM outcomes), verified with the keys in the webhook
// secret the environment names.
var Capture = wire.Function{Name: "capture", Handler: func(ctx context.Context, c *wire.Cloud) (any, error) {
	api := routes(c, false)
	if id := c.Getenv(awsenv.WebhookSecret); id != "" {
		raw, err := secrets.NewFromConfig(c.AWS).Get(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("webhook secret: %w", err)
		}
		var keys WebhookKeys
		if err := json.Unmarshal([]byte(raw), &keys); err != nil {
			return nil, fmt.Errorf("webhook secret is not the expected JSON: %w", err)
		}
		api.Signer = &httpapi.Signer{Secret: []byte(keys.HMACSecret), APIKeys: keys.APIKeys, Clock: c.Service.Clock, Seen: c.Service.Store}
		api.LinkedInSecret = keys.LinkedInSecret
	}
	return api.Handle, nil
}}

// API serves the internal routes (lead lookup, queues, rep actions,
// erasure) behind API Gateway's authorizer.
var API = wire.Function{Name: "api", Needs: wire.NeedScheduler, Handler: func(_ context.Context, c *wire.Cloud) (any, error) {
	return routes(c, true).Handle, nil
}}

// routes is the HTTP API over the routes of one access group.
func routes(c *wire.Cloud, internal bool) *httpapi.API {
	return &httpapi.API{
		Service: c.Service,
		Log:     c.Log,
		Serve:   func(r httpapi.Route) bool { return (r.Access == httpapi.Internal) == internal },
	}
}
