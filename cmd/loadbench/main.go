// Command loadbench measures the local pipeline end to end: it starts the
// runtime on 127.0.0.1 with a temporary data directory, posts demo-request
// forms over loopback HTTP at a fixed offered rate, and reports accepted/s,
// routed/s and speed-to-route percentiles (from the POST to the owner being
// assigned). It is bounded: N requests, then it stops.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/local"
	"github.com/leadflow/leadflow/shared/localbus"
)

var busWorkers, batch *int

var exit int

func main() {
	defer func() { os.Exit(exit) }()
	n := flag.Int("n", 5000, "form posts to send")
	rate := flag.Float64("rate", 2000, "offered rate, posts per second")
	workers := flag.Int("concurrency", 64, "client connections")
	label := flag.String("label", "", "label printed with the results")
	busWorkers = flag.Int("bus-concurrency", 32, "handlers per queue")
	batch = flag.Int("batch", 10, "records per handler call")
	profile := flag.String("blockprofile", "", "write a blocking profile to this file")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		if f, err := os.Create(*cpuprofile); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	if *profile != "" {
		runtime.SetBlockProfileRate(int(time.Millisecond))
		defer func() {
			f, err := os.Create(*profile)
			if err == nil {
				_ = pprof.Lookup("block").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	if err := run(*n, *rate, *workers, *label); err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		exit = 1
	}
}

func run(n int, rate float64, workers int, label string) error {
	dir, err := os.MkdirTemp("", "leadflow-loadbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	app, err := local.New(local.Options{
		Addr: "127.0.0.1:0", DataDir: dir, Token: "bench", RateLimit: -1,
		Bus: localbus.Options{Concurrency: *busWorkers, BatchSize: *batch},
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	defer app.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-app.Ready()
	base := "http://" + app.Addr()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: 30 * time.Second}
	sent := make([]time.Time, n)
	ids := make([]string, n)
	var accepted, failed int64
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				body, _ := json.Marshal(map[string]string{
					"email": fmt.Sprintf("buyer%06d@bench%06d-corp.com", i, i), "first_name": "Pat", "last_name": "Bench",
					"title": "VP of Sales", "company": "Bench Corp", "employees": "500", "industry": "software",
					"country": "US", "state": []string{"NY", "TX", "CA"}[i%3],
				})
				sent[i] = time.Now()
				resp, err := client.Post(base+"/v1/forms/demo-request", "application/json", bytes.NewReader(body))
				if err != nil {
					atomic.AddInt64(&failed, 1)
					continue
				}
				var out struct {
					LeadID string `json:"lead_id"`
				}
				_ = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					atomic.AddInt64(&failed, 1)
					continue
				}
				ids[i] = out.LeadID
				atomic.AddInt64(&accepted, 1)
			}
		}()
	}
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	for i := 0; i < n; i++ {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	postElapsed := time.Since(start)

	settleCtx, settleCancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer settleCancel()
	if err := app.Settle(settleCtx); err != nil {
		return err
	}
	allElapsed := time.Since(start)

	var lat []time.Duration
	routed := 0
	stages := map[string]int{}
	for i, id := range ids {
		if id == "" {
			continue
		}
		l, err := app.Store.GetLead(context.Background(), id)
		if err != nil {
			return fmt.Errorf("read lead: %w", err)
		}
		stages[string(l.Stage)+"/"+l.Enrichment.Status+"/"+fmt.Sprint(l.Owner != "")]++
		if l.Stage == lead.StageSQL && l.Routed() {
			routed++
			lat = append(lat, l.RoutedAt.Sub(sent[i]))
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Printf("loadbench %s: offered %.0f/s, %d posts: accepted %d (%.0f/s), failed %d, routed %d (%.0f leads/s end to end)\n",
		label, rate, n, accepted, float64(accepted)/postElapsed.Seconds(), failed, routed, float64(routed)/allElapsed.Seconds())
	fmt.Printf("loadbench %s: speed-to-route p50 %s  p95 %s  p99 %s  max %s\n", label,
		pct(0.50).Round(time.Microsecond), pct(0.95).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), pct(1).Round(time.Microsecond))
	if routed != n {
		return fmt.Errorf("%d of %d leads routed; stage/enrichment/owned: %v; queues %+v", routed, n, stages, app.Bus.Stats())
	}
	return nil
}
