// Package httpfn holds the HTTP functions, API Gateway's targets: capture
// (public and signed routes) and api (internal routes).
package httpfn

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/leadflow/leadflow/shared/awsenv"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/secrets"
	"github.com/leadflow/leadflow/shared/wire"
)

// Capture serves the public form route and the signed webhooks (LinkedIn,
// behaviour events, CRM outcomes), verified with the keys in the webhook
// secret the environment names. The keys are read on the first signed
// request, not at cold start: the form route, which never needs them,
// starts sooner, and a key set or rotated later applies within the secrets
// cache's TTL.
var Capture = wire.Function{Name: "capture", Handler: func(_ context.Context, c *wire.Cloud) (any, error) {
	api := routes(c, false)
	if id := c.Getenv(awsenv.WebhookSecret); id != "" {
		api.Signer = &httpapi.Signer{Keys: webhookKeys(secrets.NewFromConfig(c.AWS), id), Clock: c.Service.Clock, Seen: c.Service.Store}
	}
	return api.Handle, nil
}}

// webhookKeys reads the keys in the secret id through cache, decoding each
// value of the secret once.
func webhookKeys(cache *secrets.Cache, id string) func(context.Context) (httpapi.Keys, error) {
	var mu sync.Mutex
	var raw string
	var keys httpapi.Keys
	return func(ctx context.Context) (httpapi.Keys, error) {
		v, err := cache.Get(ctx, id)
		if err != nil {
			return httpapi.Keys{}, err
		}
		mu.Lock()
		defer mu.Unlock()
		if v != raw {
			var k httpapi.Keys
			// The decoder's error would quote the secret: name the secret only.
			if json.Unmarshal([]byte(v), &k) != nil {
				return httpapi.Keys{}, lead.Errorf(lead.EINTERNAL, "webhook secret %s is not the expected JSON", id)
			}
			raw, keys = v, k
		}
		return keys, nil
	}
}

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
