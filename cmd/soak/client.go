package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// client posts to the local runtime over real HTTP and retries what a
// well-behaved client retries: transport errors, 429 and 5xx. A request is
// accepted only once an answer says so.
type client struct {
	base    string
	token   string
	http    *http.Client
	retries atomic.Int64 // attempts beyond the first
	// maxAttempts bounds retries of one request; beyond it the soak fails.
	maxAttempts int
}

func newClient(base, token string, conns int) *client {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute}
	return &client{base: base, token: token, http: &http.Client{Transport: tr, Timeout: time.Minute}, maxAttempts: 60}
}

// post sends body to path until it gets a final answer, and decodes the
// JSON of a 2xx answer into out. Returns an error for a 4xx answer or when
// attempts run out.
func (c *client) post(ctx context.Context, path string, body any, headers map[string]string, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		status, answer, err := c.once(ctx, path, raw, headers)
		switch {
		case err == nil && status/100 == 2:
			if out == nil {
				return nil
			}
			return json.Unmarshal(answer, out)
		case err == nil && status/100 == 4 && status != http.StatusTooManyRequests:
			return fmt.Errorf("POST %s: %d %s", path, status, answer)
		case attempt >= c.maxAttempts:
			return fmt.Errorf("POST %s: no success after %d attempts (last: %d %v)", path, attempt, status, err)
		case ctx.Err() != nil:
			return ctx.Err()
		}
		c.retries.Add(1)
		// Short, growing pauses: the faults are random, not load.
		time.Sleep(time.Duration(min(attempt, 20)) * time.Millisecond)
	}
}

func (c *client) once(ctx context.Context, path string, body []byte, headers map[string]string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	return resp.StatusCode, answer, err
}

// internal returns the headers of an internal (or token-signed) call.
func (c *client) internal() map[string]string {
	return map[string]string{"Authorization": "Bearer " + c.token}
}
