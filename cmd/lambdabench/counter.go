package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// counter is a reverse proxy in front of moto that counts the AWS requests
// the functions make, by service and operation, and the DynamoDB capacity
// units they would consume (sized from the items in requests and
// responses, as DynamoDB sizes them: 1 KB per write unit, 4 KB per read
// unit, strongly consistent reads count 1, eventually consistent 0.5,
// transactional writes twice).
type counter struct {
	proxy *httputil.ReverseProxy
	mu    sync.Mutex
	calls map[string]int // "service Operation"
	wru   float64
	rru   float64
	// events counts PutEvents entries, which EventBridge prices.
	events int
	// requests and waited accumulate (never reset) every request and the
	// time spent in them, so an invocation's share can be taken by
	// difference.
	requests int
	waited   time.Duration
}

func newCounter(target string) (*counter, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	c := &counter{proxy: httputil.NewSingleHostReverseProxy(u), calls: map[string]int{}}
	c.proxy.ModifyResponse = c.response
	return c, nil
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	// The response handler needs the request's ConsistentRead.
	r = r.WithContext(context.WithValue(r.Context(), bodyKey{}, body))
	service, op := classify(r)
	c.mu.Lock()
	c.calls[service+" "+op]++
	switch {
	case service == "dynamodb":
		c.wru += writeUnits(op, body)
	case service == "events" && op == "PutEvents":
		var req struct{ Entries []json.RawMessage }
		if json.Unmarshal(body, &req) == nil {
			c.events += len(req.Entries)
		}
	}
	c.mu.Unlock()
	start := time.Now()
	c.proxy.ServeHTTP(w, r)
	c.mu.Lock()
	c.requests++
	c.waited += time.Since(start)
	c.mu.Unlock()
}

// waitedSoFar returns the time spent in proxied requests so far.
func (c *counter) waitedSoFar() time.Duration {
	_, t := c.totals()
	return t
}

// totals returns the requests proxied so far and the time spent in them.
func (c *counter) totals() (int, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests, c.waited
}

// response sizes the items DynamoDB reads return.
func (c *counter) response(resp *http.Response) error {
	service, op := classify(resp.Request)
	if service != "dynamodb" || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	consistent := false
	if req, ok := resp.Request.Context().Value(bodyKey{}).([]byte); ok {
		consistent = bytes.Contains(req, []byte(`"ConsistentRead":true`))
	}
	units := readUnits(op, body)
	if !consistent {
		units /= 2
	}
	c.mu.Lock()
	c.rru += units
	c.mu.Unlock()
	return nil
}

type bodyKey struct{}

// classify names a request's service (from its SigV4 credential scope)
// and operation (its X-Amz-Target, or the REST path of SES v2).
func classify(r *http.Request) (string, string) {
	service := "unknown"
	if _, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		if parts := strings.Split(cred, "/"); len(parts) > 3 {
			service = parts[3]
		}
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		return service, target[strings.LastIndex(target, ".")+1:]
	}
	if strings.HasSuffix(r.URL.Path, "/outbound-emails") {
		return service, "SendEmail"
	}
	return service, r.Method + " " + r.URL.Path
}

// writeUnits counts the write units of a DynamoDB write request from the
// items it puts; an update or delete counts one unit per item, as the
// items leadflow updates in place (accounts, once-keys) are small.
func writeUnits(op string, body []byte) float64 {
	var req struct {
		Item          json.RawMessage
		TransactItems []map[string]struct{ Item json.RawMessage }
		RequestItems  map[string][]map[string]struct{ Item json.RawMessage }
	}
	if json.Unmarshal(body, &req) != nil {
		return 0
	}
	switch op {
	case "PutItem":
		return kUnits(len(req.Item), 1024)
	case "UpdateItem", "DeleteItem":
		return 1
	case "TransactWriteItems":
		total := 0.0
		for _, it := range req.TransactItems {
			for kind, x := range it {
				if kind == "Put" {
					total += 2 * kUnits(len(x.Item), 1024)
				} else {
					total += 2
				}
			}
		}
		return total
	case "BatchWriteItem":
		total := 0.0
		for _, reqs := range req.RequestItems {
			for _, it := range reqs {
				if put, ok := it["PutRequest"]; ok {
					total += kUnits(len(put.Item), 1024)
				} else {
					total++
				}
			}
		}
		return total
	}
	return 0
}

// readUnits counts the (strongly consistent) read units of a DynamoDB read
// response: per item for GetItem, on the summed size for Query.
func readUnits(op string, body []byte) float64 {
	var resp struct {
		Item  json.RawMessage
		Items []json.RawMessage
	}
	if json.Unmarshal(body, &resp) != nil {
		return 0
	}
	switch op {
	case "GetItem":
		return math.Max(1, kUnits(len(resp.Item), 4096))
	case "Query", "Scan":
		size := 0
		for _, it := range resp.Items {
			size += len(it)
		}
		return math.Max(1, kUnits(size, 4096))
	}
	return 0
}

// kUnits rounds a size up to whole units of unit bytes. The item's JSON
// over-counts DynamoDB's own size a little (type tags, quotes), so the
// estimate errs high.
func kUnits(size, unit int) float64 {
	if size == 0 {
		return 0
	}
	return math.Ceil(float64(size) / float64(unit))
}

// usage is what the functions asked of AWS over a period.
type usage struct {
	calls    map[string]int
	wru, rru float64
	events   int
}

// snapshot returns the usage since the last snapshot.
func (c *counter) snapshot() usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := usage{calls: c.calls, wru: c.wru, rru: c.rru, events: c.events}
	c.calls, c.wru, c.rru, c.events = map[string]int{}, 0, 0, 0
	return u
}

func sortedOps(calls map[string]int) []string {
	ops := make([]string, 0, len(calls))
	for op := range calls {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}
