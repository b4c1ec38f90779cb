// Package secrets reads secrets (provider API keys, the Slack webhook URL,
// the HMAC key of signed webhooks) from AWS Secrets Manager and caches them
// in memory, so a warm function does not call Secrets Manager per request.
package secrets

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/internal/awserr"
	"github.com/leadflow/leadflow/shared/internal/awsjson"
	"github.com/leadflow/leadflow/shared/lead"
)

var getSecretValue = awsjson.Operation{Name: "GetSecretValue"}

type getSecretValueInput struct{ SecretId string }

// getSecretValueOutput holds a secret's string, or its bytes (sent base64,
// which encoding/json decodes into a []byte).
type getSecretValueOutput struct {
	SecretString *string
	SecretBinary []byte
}

// Cache reads secrets through an in-memory cache. It is safe for concurrent
// use.
type Cache struct {
	client awsjson.Caller
	ttl    time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]entry
}

type entry struct {
	value   string
	fetched time.Time
}

// New returns a Cache that reads through client, a Secrets Manager caller,
// and keeps each secret for ttl after reading it, so a rotated secret is
// picked up within ttl. now tells the time (time.Now in production). The
// client is built once at cold start.
func New(client awsjson.Caller, ttl time.Duration, now func() time.Time) *Cache {
	return &Cache{client: client, ttl: ttl, now: now, entries: make(map[string]entry)}
}

// Get returns the current value of the secret id (a name or ARN): its
// string, or its bytes for a binary secret. A value younger than the ttl
// comes from the cache; when a refresh fails transiently the last value is
// served rather than failing the request. Returns ENOTFOUND if the secret
// does not exist, EUNAVAILABLE if Secrets Manager cannot be reached and
// nothing is cached, EINTERNAL if it refuses the request (a missing
// permission, a deleted or undecryptable secret).
func (c *Cache) Get(ctx context.Context, id string) (string, error) {
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	now := c.now()
	if ok && now.Sub(e.fetched) < c.ttl {
		return e.value, nil
	}
	var out getSecretValueOutput
	if err := c.client.Call(ctx, getSecretValue, getSecretValueInput{SecretId: id}, &out); err != nil {
		if awsjson.Code(err) == "ResourceNotFoundException" {
			return "", &lead.Error{Code: lead.ENOTFOUND, Message: "secret " + id + " not found", Err: err}
		}
		err = awserr.Translate("read secret "+id, err)
		if ok && lead.IsCode(err, lead.EUNAVAILABLE) {
			return e.value, nil
		}
		return "", err
	}
	value := aws.ToString(out.SecretString)
	if out.SecretString == nil {
		value = string(out.SecretBinary)
	}
	c.mu.Lock()
	c.entries[id] = entry{value: value, fetched: now}
	c.mu.Unlock()
	return value, nil
}

// Field returns one field of a secret holding a JSON object of strings,
// such as the provider keys. Returns ENOTFOUND if the secret or the field
// does not exist, EINVALID if the secret is not such an object, and Get's
// errors otherwise.
func (c *Cache) Field(ctx context.Context, id, field string) (string, error) {
	raw, err := c.Get(ctx, id)
	if err != nil {
		return "", err
	}
	var fields map[string]string
	if err := json.Unmarshal([]byte(raw), &fields); err != nil {
		// The error would quote the secret: keep only that it is malformed.
		return "", lead.Errorf(lead.EINVALID, "secret %s is not a JSON object of strings", id)
	}
	v, ok := fields[field]
	if !ok {
		return "", lead.Errorf(lead.ENOTFOUND, "secret %s has no field %s", id, field)
	}
	return v, nil
}

// NewFromConfig returns the Cache functions use: a Secrets Manager client
// caller built from cfg and a five-minute ttl.
func NewFromConfig(cfg aws.Config) *Cache {
	return New(awsjson.New(cfg, awsjson.SecretsManager), 5*time.Minute, time.Now)
}
