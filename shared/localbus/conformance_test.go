package localbus_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/bustest"
	"github.com/leadflow/leadflow/shared/localbus"
)

// TestConformance runs the bus conformance suite on the local bus, its
// queues read by subscribed handlers as the consumers read them.
func TestConformance(t *testing.T) {
	bustest.Run(t, func(t *testing.T) bustest.Bus {
		b, err := localbus.Open(filepath.Join(t.TempDir(), "bus.db"), localbus.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		got := map[events.Consumer][]events.Envelope{}
		for _, r := range events.Routes {
			c := r.Consumer
			err := b.Subscribe(c, func(_ context.Context, ev awsevents.SQSEvent) (awsevents.SQSEventResponse, error) {
				mu.Lock()
				defer mu.Unlock()
				for _, m := range ev.Records {
					var env events.Envelope
					if err := json.Unmarshal([]byte(m.Body), &env); err != nil {
						t.Errorf("queue %s: body is not an envelope: %v", c, err)
					}
					got[c] = append(got[c], env)
				}
				return awsevents.SQSEventResponse{}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- b.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
			b.Close()
		})
		drain := func(t *testing.T, c events.Consumer, want int) []events.Envelope {
			deadline := time.Now().Add(5 * time.Second)
			for {
				idle, stop := context.WithDeadline(context.Background(), deadline)
				err := b.WaitIdle(idle)
				stop()
				mu.Lock()
				if n := len(got[c]); n >= want || err != nil {
					out := got[c]
					delete(got, c)
					mu.Unlock()
					return out
				}
				mu.Unlock()
			}
		}
		return bustest.Bus{Publisher: b, Sender: b, Drain: drain}
	})
}
