// Package backoff holds the bounded exponential backoff the AWS and HTTP
// adapters use when they retry what the SDK does not: failed entries of a
// batch, unprocessed items, webhook 5xx.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Base and Max bound the waits: Base before the first retry, doubling, never
// more than Max.
const (
	Base = 50 * time.Millisecond
	Max  = 2 * time.Second
)

// Delay returns the wait before retry n (n ≥ 1): Base doubled n-1 times,
// capped at Max, with up to 20% subtracted at random so that callers failing
// together do not retry together.
func Delay(n int) time.Duration {
	d := Max
	if n < 7 {
		d = min(Base<<max(n-1, 0), Max)
	}
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// Sleep waits for d or until ctx is done, and then returns ctx's error.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
