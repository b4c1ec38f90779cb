package localbus

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/events"
)

var noSync = flag.Bool("nosync", false, "benchmark the bus without fsync (Options.NoSync)")

// chain maps a consumer to the event it publishes for each record, making
// the hops of the pipeline: captured → enrich → score → route → notify.
var chain = map[events.Consumer]events.DetailType{
	events.ConsumerEnrich: events.LeadEnriched,
	events.ConsumerScore:  events.LeadStageChanged,
	events.ConsumerRoute:  events.LeadRouted,
}

// latencies collects the time from a first publish to the last handler.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B, elapsed time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		b.Fatal("no event reached the last handler")
	}
	slices.Sort(l.d)
	at := func(p float64) float64 {
		return float64(l.d[int(p*float64(len(l.d)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(at(1), "max-ms")
	b.ReportMetric(float64(len(l.d))/elapsed.Seconds(), "events/s")
	b.ReportMetric(0, "ns/op") // per-op time is meaningless for a paced load
}

// benchBus subscribes every consumer: those in chain publish the next
// event, carrying the first publish time in the envelope (one Publish per
// record, or one per batch), and last records the latency.
func benchBus(b *testing.B, hops int, perBatch bool) (*Bus, *latencies) {
	b.Helper()
	opts := fast
	opts.NoSync = *noSync
	bus, err := Open(filepath.Join(b.TempDir(), "bus.db"), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bus.Close() })
	last := []events.Consumer{events.ConsumerEnrich, events.ConsumerScore, events.ConsumerRoute, events.ConsumerNotify}[hops-1]
	lat := &latencies{}
	for _, r := range events.Routes {
		next, publishes := chain[r.Consumer]
		h := func(ctx context.Context, ev awsevents.SQSEvent) (awsevents.SQSEventResponse, error) {
			var out []events.Envelope
			for _, rec := range ev.Records {
				var env events.Envelope
				if err := json.Unmarshal([]byte(rec.Body), &env); err != nil {
					return awsevents.SQSEventResponse{}, err
				}
				switch {
				case r.Consumer == last:
					lat.add(time.Since(env.Time))
				case publishes:
					env.DetailType = next
					out = append(out, env)
					if perBatch {
						continue
					}
					if err := bus.Publish(ctx, out...); err != nil {
						return awsevents.SQSEventResponse{}, err
					}
					out = out[:0]
				}
			}
			return awsevents.SQSEventResponse{}, bus.Publish(ctx, out...)
		}
		if err := bus.Subscribe(r.Consumer, h); err != nil {
			b.Fatal(err)
		}
	}
	return bus, lat
}

// load publishes b.N lead.captured events from publishers goroutines, at
// most rate per second in all (0: as fast as they go), and waits until the
// bus is idle.
func load(b *testing.B, hops, publishers, rate int, perBatch bool) {
	bus, lat := benchBus(b, hops, perBatch)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bus.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	var interval time.Duration
	if rate > 0 {
		interval = time.Second * time.Duration(publishers) / time.Duration(rate)
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			next := time.Now()
			for i := p; i < b.N; i += publishers {
				if interval > 0 {
					time.Sleep(time.Until(next))
					next = next.Add(interval)
				}
				env := envelope(fmt.Sprintf("ev-%d", i), events.LeadCaptured, fmt.Sprintf("lead-%d", i))
				env.Time = time.Now()
				if err := bus.Publish(ctx, env); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := bus.WaitIdle(context.Background()); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	lat.report(b, elapsed)
}

// BenchmarkHop measures publish → handler for one hop with the default 4
// pollers: latency at the target load of 200 leads/s, and throughput with 16
// publishers as fast as they go. Run with -benchtime=2000x or more.
func BenchmarkHop(b *testing.B) {
	b.Run("paced-200/s", func(b *testing.B) { load(b, 1, 4, 200, false) })
	b.Run("saturated", func(b *testing.B) { load(b, 1, 16, 0, false) })
}

// BenchmarkFourHops measures speed-to-route through the four hops of the
// pipeline (captured → enrich → score → route → notify) with handlers that
// only publish, so the figures are the bus's share of the latency. A
// handler publishing once per record waits for one commit per record; once
// per batch, for one per batch.
func BenchmarkFourHops(b *testing.B) {
	for _, mode := range []struct {
		name     string
		perBatch bool
	}{{"publish-per-record", false}, {"publish-per-batch", true}} {
		b.Run(mode.name+"/paced-200/s", func(b *testing.B) { load(b, 4, 4, 200, mode.perBatch) })
		b.Run(mode.name+"/saturated", func(b *testing.B) { load(b, 4, 16, 0, mode.perBatch) })
	}
}
