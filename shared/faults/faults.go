// Package faults injects failures into leadflow's ports so that tests, the
// soak and `leadflow dev --faults` can show that nothing accepted is lost
// and nothing is done twice when dependencies misbehave.
//
// A wrapped call fails, at a configured rate per port, in one of three ways:
// a transient error (lead.EUNAVAILABLE), a timeout (EUNAVAILABLE wrapping
// context.DeadlineExceeded, as a client deadline reports it), or — for calls
// that write — "succeeded but the reply was lost": the call runs, then the
// caller sees EUNAVAILABLE anyway. Only the last kind can make a retry
// repeat work, which is what idempotency must absorb.
//
// Decisions come from one PRNG seeded by the spec, so a sequential caller
// sees the same failures on every run with the same seed; concurrent callers
// draw from the same sequence in whatever order they arrive.
package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/leadflow/leadflow/shared/lead"
)

// Port names a wrapped dependency in a spec.
type Port string

// The ports faults can be injected into.
const (
	Store    Port = "store"    // pipeline.Store
	Publish  Port = "publish"  // pipeline.Publisher
	Send     Port = "send"     // pipeline.Sender
	Schedule Port = "schedule" // pipeline.Scheduler
	Notify   Port = "notify"   // pipeline.Notifier
	Mail     Port = "mail"     // pipeline.Mailer
	Enrich   Port = "enrich"   // pipeline.Enricher
	Deliver  Port = "deliver"  // a queue delivery to an SQS handler
)

// Ports lists every port, in spec order.
var Ports = []Port{Store, Publish, Send, Schedule, Notify, Mail, Enrich, Deliver}

// Spec says how often each port fails.
type Spec struct {
	// Rates is the fraction of calls to a port that fail before doing
	// anything (0 to 1).
	Rates map[Port]float64
	// ReplyLost is the fraction of calls that write (to any wrapped port)
	// that succeed but report EUNAVAILABLE to the caller.
	ReplyLost float64
	// Timeouts is the share of the failures of Rates reported as timeouts
	// rather than plain transient errors (default 0.3).
	Timeouts float64
	// Seed makes the failures reproducible (default 1).
	Seed uint64
}

// DefaultTimeouts is the share of injected failures that are timeouts when
// a spec does not say.
const DefaultTimeouts = 0.3

// Parse reads a spec such as "store=0.1,publish=0.1,enrich=0.3,reply_lost=0.05".
// Keys are the port names, reply_lost, timeouts (the share of failures that
// are timeouts) and seed (an unsigned integer). Returns EINVALID naming the
// offending entry for an empty spec, an unknown key, a key given twice, or a
// rate that is not a number from 0 to 1.
func Parse(s string) (Spec, error) {
	spec := Spec{Rates: map[Port]float64{}, Timeouts: DefaultTimeouts, Seed: 1}
	if strings.TrimSpace(s) == "" {
		return Spec{}, lead.FieldError("faults", "empty spec; want e.g. store=0.1,publish=0.1,reply_lost=0.05")
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		key, val, ok := strings.Cut(part, "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !ok || key == "" || val == "" {
			return Spec{}, lead.FieldError("faults", "entry %q is not key=value", part)
		}
		if seen[key] {
			return Spec{}, lead.FieldError("faults", "%s is given twice", key)
		}
		seen[key] = true
		if key == "seed" {
			n, err := strconv.ParseUint(val, 10, 64)
			if err != nil {
				return Spec{}, lead.FieldError("faults", "seed %q is not an unsigned integer", val)
			}
			spec.Seed = n
			continue
		}
		rate, err := strconv.ParseFloat(val, 64)
		if err != nil || rate < 0 || rate > 1 || rate != rate {
			return Spec{}, lead.FieldError("faults", "%s=%s: want a fraction from 0 to 1", key, val)
		}
		switch {
		case key == "reply_lost":
			spec.ReplyLost = rate
		case key == "timeouts":
			spec.Timeouts = rate
		case isPort(key):
			spec.Rates[Port(key)] = rate
		default:
			return Spec{}, lead.FieldError("faults", "unknown key %q; want one of %s, reply_lost, timeouts, seed", key, portNames())
		}
	}
	return spec, nil
}

func isPort(k string) bool {
	for _, p := range Ports {
		if string(p) == k {
			return true
		}
	}
	return false
}

func portNames() string {
	names := make([]string, len(Ports))
	for i, p := range Ports {
		names[i] = string(p)
	}
	return strings.Join(names, ", ")
}

// String formats the spec so that Parse reads it back.
func (s Spec) String() string {
	var parts []string
	for _, p := range Ports {
		if r := s.Rates[p]; r > 0 {
			parts = append(parts, fmt.Sprintf("%s=%g", p, r))
		}
	}
	if s.ReplyLost > 0 {
		parts = append(parts, fmt.Sprintf("reply_lost=%g", s.ReplyLost))
	}
	parts = append(parts, fmt.Sprintf("timeouts=%g", s.Timeouts), fmt.Sprintf("seed=%d", s.Seed))
	return strings.Join(parts, ",")
}

// Stats counts what the injector did to one port.
type Stats struct {
	Calls     int64 `json:"calls"`
	Failed    int64 `json:"failed"`     // failed before doing anything
	Timeouts  int64 `json:"timeouts"`   // of Failed, reported as timeouts
	ReplyLost int64 `json:"reply_lost"` // done, but reported as failed
}

// Injector decides which calls fail and wraps ports with that decision. It
// is safe for concurrent use; its zero value is not usable, use New.
type Injector struct {
	spec    Spec
	enabled atomic.Bool

	mu    sync.Mutex
	rng   *rand.Rand
	stats map[Port]*Stats
}

// New returns an enabled injector for spec.
func New(spec Spec) *Injector {
	in := &Injector{spec: spec, rng: rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15)), stats: map[Port]*Stats{}}
	for _, p := range Ports {
		in.stats[p] = &Stats{}
	}
	in.enabled.Store(true)
	return in
}

// Spec returns the injector's spec.
func (in *Injector) Spec() Spec { return in.spec }

// SetEnabled turns injection on or off; while off every call passes through
// untouched (the soak turns faults off before redriving the DLQ).
func (in *Injector) SetEnabled(on bool) { in.enabled.Store(on) }

// Stats returns a copy of the counts per port.
func (in *Injector) Stats() map[Port]Stats {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[Port]Stats, len(in.stats))
	for p, s := range in.stats {
		out[p] = *s
	}
	return out
}

// Summary formats the non-zero counts, one port per line, sorted by port.
func (in *Injector) Summary() string {
	st := in.Stats()
	ports := make([]string, 0, len(st))
	for p, s := range st {
		if s.Calls > 0 {
			ports = append(ports, string(p))
		}
	}
	sort.Strings(ports)
	var b strings.Builder
	for _, p := range ports {
		s := st[Port(p)]
		fmt.Fprintf(&b, "%-9s calls %7d  failed %6d (timeouts %5d)  reply lost %5d\n", p, s.Calls, s.Failed, s.Timeouts, s.ReplyLost)
	}
	return b.String()
}

// outcome is the decision for one call.
type outcome int

const (
	pass outcome = iota
	transient
	timeout
	replyLost
)

// decide draws the fate of one call to port; write says whether the call
// changes state (only those can lose their reply).
func (in *Injector) decide(port Port, write bool) outcome {
	in.mu.Lock()
	defer in.mu.Unlock()
	st := in.stats[port]
	st.Calls++
	if !in.enabled.Load() {
		return pass
	}
	if r := in.spec.Rates[port]; r > 0 && in.rng.Float64() < r {
		st.Failed++
		if in.rng.Float64() < in.spec.Timeouts {
			st.Timeouts++
			return timeout
		}
		return transient
	}
	if write && in.spec.ReplyLost > 0 && in.rng.Float64() < in.spec.ReplyLost {
		st.ReplyLost++
		return replyLost
	}
	return pass
}

// call runs fn under the decision for port and op: fn is skipped on a
// failure, and its success is hidden when the reply is lost.
func (in *Injector) call(port Port, op string, write bool, fn func() error) error {
	switch in.decide(port, write) {
	case transient:
		return &lead.Error{Code: lead.EUNAVAILABLE, Message: fmt.Sprintf("injected fault: %s %s unavailable", port, op)}
	case timeout:
		return &lead.Error{Code: lead.EUNAVAILABLE, Message: fmt.Sprintf("injected fault: %s %s timed out", port, op), Err: context.DeadlineExceeded}
	case replyLost:
		if err := fn(); err != nil {
			return err
		}
		return &lead.Error{Code: lead.EUNAVAILABLE, Message: fmt.Sprintf("injected fault: %s %s done but the reply was lost", port, op)}
	}
	return fn()
}
