// Package bustest is the conformance suite of the bus: the Publisher and
// Sender ports as the consumers' queues see them. Every adapter pair runs it
// unchanged: the local bus, and EventBridge with SQS on moto. A rule that
// passes locally then behaves the same once deployed, size limits and
// refusals included.
package bustest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// Bus is one adapter pair under test, on a bus and queues no other test
// uses.
type Bus struct {
	Publisher pipeline.Publisher
	Sender    pipeline.Sender
	// Drain removes and returns the envelopes on consumer c's queue once at
	// least want have arrived, or whatever arrived within a few seconds.
	Drain func(t *testing.T, c events.Consumer, want int) []events.Envelope
}

// Run runs every conformance test; open returns a fresh Bus for one test.
func Run(t *testing.T, open func(t *testing.T) Bus) {
	t.Run("PublishRoutesByTheRoutingTable", func(t *testing.T) { publishRoutes(t, open(t)) })
	t.Run("PublishManyInOneCall", func(t *testing.T) { publishMany(t, open(t)) })
	t.Run("PublishNothing", func(t *testing.T) { publishNothing(t, open(t)) })
	t.Run("PublishRejectsTheWholeCall", func(t *testing.T) { publishRejects(t, open(t)) })
	t.Run("EventSizeLimit", func(t *testing.T) { sizeLimit(t, open(t)) })
	t.Run("SendReachesOneQueue", func(t *testing.T) { sendOneQueue(t, open(t)) })
	t.Run("SendRejects", func(t *testing.T) { sendRejects(t, open(t)) })
}

var at = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// envelope is an event of type dt about leadID, with its detail padded by
// pad bytes of a note.
func envelope(t *testing.T, dt events.DetailType, leadID string, pad int) events.Envelope {
	t.Helper()
	detail, err := json.Marshal(map[string]any{"lead_id": leadID, "occurred_at": at, "version": events.Version, "note": strings.Repeat("x", pad)})
	if err != nil {
		t.Fatal(err)
	}
	return events.Envelope{Version: "0", ID: "evt-" + leadID, DetailType: dt, Source: events.Source, Time: at, Resources: []string{}, Detail: detail}
}

// delivered is what a consumer can rely on of a delivered envelope:
// EventBridge assigns its own id, so the id is not part of it.
type delivered struct {
	DetailType events.DetailType
	Source     string
	Time       time.Time
	Detail     map[string]any
}

func deliveredOf(t *testing.T, envs []events.Envelope) []delivered {
	t.Helper()
	out := make([]delivered, 0, len(envs))
	for _, env := range envs {
		var d map[string]any
		if err := json.Unmarshal(env.Detail, &d); err != nil {
			t.Fatalf("delivered detail of %s is not JSON: %v", env.DetailType, err)
		}
		out = append(out, delivered{env.DetailType, env.Source, env.Time.UTC(), d})
	}
	slices.SortFunc(out, func(a, b delivered) int {
		return strings.Compare(fmt.Sprint(a.DetailType, a.Detail["lead_id"]), fmt.Sprint(b.DetailType, b.Detail["lead_id"]))
	})
	return out
}

// expectQueues drains every consumer's queue and compares it with want.
func expectQueues(t *testing.T, b Bus, want map[events.Consumer][]events.Envelope) {
	t.Helper()
	for _, r := range events.Routes {
		got := b.Drain(t, r.Consumer, len(want[r.Consumer]))
		if diff := cmp.Diff(deliveredOf(t, want[r.Consumer]), deliveredOf(t, got)); diff != "" {
			t.Errorf("queue %s (-want +got):\n%s", r.Consumer, diff)
		}
	}
}

func publishRoutes(t *testing.T, b Bus) {
	var envs []events.Envelope
	want := map[events.Consumer][]events.Envelope{}
	for _, dt := range events.DetailTypes {
		env := envelope(t, dt, "lead-"+strings.TrimPrefix(string(dt), "lead."), 0)
		envs = append(envs, env)
		for _, c := range events.ConsumersOf(dt) {
			want[c] = append(want[c], env)
		}
	}
	if err := b.Publisher.Publish(t.Context(), envs...); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	expectQueues(t, b, want)
}

func publishMany(t *testing.T, b Bus) {
	// More than one PutEvents call holds, in entries and in bytes.
	var envs []events.Envelope
	for i := range 23 {
		envs = append(envs, envelope(t, events.LeadCaptured, fmt.Sprintf("lead-%02d", i), 30_000))
	}
	if err := b.Publisher.Publish(t.Context(), envs...); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	expectQueues(t, b, map[events.Consumer][]events.Envelope{events.ConsumerEnrich: envs})
}

func publishNothing(t *testing.T, b Bus) {
	if err := b.Publisher.Publish(t.Context()); err != nil {
		t.Errorf("Publish() = %v, want nil", err)
	}
}

func publishRejects(t *testing.T, b Bus) {
	valid := envelope(t, events.LeadCaptured, "lead-valid", 0)
	noType := envelope(t, "", "lead-untyped", 0)
	malformed := envelope(t, events.LeadCaptured, "lead-malformed", 0)
	malformed.Detail = json.RawMessage(`{"lead_id": "lead-malformed"`)
	for name, bad := range map[string]events.Envelope{"no detail-type": noType, "malformed detail": malformed} {
		t.Run(name, func(t *testing.T) {
			err := b.Publisher.Publish(t.Context(), valid, bad)
			if !lead.IsCode(err, lead.EINVALID) {
				t.Errorf("Publish = %v, want %s", err, lead.EINVALID)
			}
		})
	}
	// A refused call publishes none of its events, the valid one included.
	expectQueues(t, b, nil)
}

func sizeLimit(t *testing.T, b Bus) {
	// The envelope around the detail takes a few hundred bytes.
	fits := envelope(t, events.LeadCaptured, "lead-fits", events.MaxSize-1024)
	over := envelope(t, events.LeadCaptured, "lead-over", events.MaxSize)
	if err := b.Publisher.Publish(t.Context(), over); !lead.IsCode(err, lead.ETOOLARGE) {
		t.Errorf("Publish(%d bytes) = %v, want %s", len(over.Detail), err, lead.ETOOLARGE)
	}
	if err := b.Sender.Send(t.Context(), events.ConsumerEnrich, over); !lead.IsCode(err, lead.ETOOLARGE) {
		t.Errorf("Send(%d bytes) = %v, want %s", len(over.Detail), err, lead.ETOOLARGE)
	}
	if err := b.Publisher.Publish(t.Context(), fits); err != nil {
		t.Errorf("Publish(%d bytes) = %v, want nil", len(fits.Detail), err)
	}
	if err := b.Sender.Send(t.Context(), events.ConsumerEnrich, fits); err != nil {
		t.Errorf("Send(%d bytes) = %v, want nil", len(fits.Detail), err)
	}
	expectQueues(t, b, map[events.Consumer][]events.Envelope{events.ConsumerEnrich: {fits, fits}})
}

func sendOneQueue(t *testing.T, b Bus) {
	// The sweep's batches: envelopes of any type, straight to one queue,
	// whatever the routing table says of their type.
	var envs []events.Envelope
	for i := range 12 {
		envs = append(envs, envelope(t, events.LeadEnrichRequested, fmt.Sprintf("lead-%02d", i), 0))
	}
	envs = append(envs, envelope(t, events.LeadRouted, "lead-routed", 0))
	if err := b.Sender.Send(t.Context(), events.ConsumerEnrich, envs...); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := b.Sender.Send(t.Context(), events.ConsumerScore); err != nil {
		t.Errorf("Send() = %v, want nil", err)
	}
	expectQueues(t, b, map[events.Consumer][]events.Envelope{events.ConsumerEnrich: envs})
}

func sendRejects(t *testing.T, b Bus) {
	if err := b.Sender.Send(t.Context(), "nobody", envelope(t, events.LeadCaptured, "lead-1", 0)); !lead.IsCode(err, lead.EINVALID) {
		t.Errorf("Send to an unknown consumer = %v, want %s", err, lead.EINVALID)
	}
	malformed := envelope(t, events.LeadCaptured, "lead-malformed", 0)
	malformed.Detail = json.RawMessage(`{"lead_id":`)
	valid := envelope(t, events.LeadCaptured, "lead-valid", 0)
	if err := b.Sender.Send(t.Context(), events.ConsumerEnrich, valid, malformed); !lead.IsCode(err, lead.EINVALID) {
		t.Errorf("Send of a malformed detail = %v, want %s", err, lead.EINVALID)
	}
	expectQueues(t, b, nil)
}
