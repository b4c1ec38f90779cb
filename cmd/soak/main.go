// Command soak drives the local runtime with thousands of leads, behaviour
// events and CRM outcomes over real HTTP while faults are injected into every
// port and queue delivery, then checks from the store that nothing accepted
// was lost or done twice and that every lead reached the stage SPEC §5's
// reference model implies. Faults are then turned off and the dead-letter
// queues redriven; the soak fails unless that completes everything.
//
//	go run ./cmd/soak -leads 10000
//
// It stops by itself (bounded by -timeout) and exits 1 if any invariant
// fails, 2 on bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/faults"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/local"
	"github.com/leadflow/leadflow/shared/localbus"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// DefaultFaults fail a share of every port's calls: enough that many
// requests and deliveries are retried and some messages dead-letter.
const DefaultFaults = "store=0.02,publish=0.05,send=0.05,schedule=0.05,notify=0.1,mail=0.1,enrich=0.3,deliver=0.05,reply_lost=0.02"

// start is the soak's frozen clock: a Tuesday in working hours in New York.
var start = time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type options struct {
	leads   int
	faults  faults.Spec
	seed    uint64
	workers int
	timeout time.Duration
	dir     string
	advance time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("leads", 10000, "leads to submit")
	spec := fs.String("faults", DefaultFaults, "faults to inject (see leadflow dev --faults)")
	seed := fs.Uint64("seed", 1, "seed of the leads and of the faults")
	workers := fs.Int("workers", 16, "concurrent HTTP clients")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up (and fail) after this long")
	dir := fs.String("dir", "", "data directory (default: a temporary one, removed afterwards)")
	advance := fs.Duration("advance", 20*24*time.Hour, "after the checks, run the clock this far with faults on so nurture touches and SLA timers fire (0: skip)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fspec, err := faults.Parse(*spec + fmt.Sprintf(",seed=%d", *seed))
	if err != nil || *n < 1 || *workers < 1 {
		fmt.Fprintf(stderr, "soak: bad flags: -leads %d, -workers %d, -faults: %v\n", *n, *workers, err)
		return 2
	}
	opts := options{leads: *n, faults: fspec, seed: *seed, workers: *workers, timeout: *timeout, dir: *dir, advance: *advance}
	if opts.dir == "" {
		tmp, err := os.MkdirTemp(scratch(), "leadflow-soak-")
		if err != nil {
			fmt.Fprintf(stderr, "soak: %v\n", err)
			return 1
		}
		defer os.RemoveAll(tmp)
		opts.dir = tmp
	}
	ctx, cancel := context.WithTimeout(ctx, opts.timeout)
	defer cancel()
	sum, err := soak(ctx, opts, stderr)
	if sum != nil {
		sum.print(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "soak: %v\n", err)
		return 1
	}
	if !sum.ok() {
		fmt.Fprintln(stderr, "soak: FAILED: invariants do not hold")
		return 1
	}
	fmt.Fprintln(stdout, "soak: all invariants hold")
	return 0
}

// scratch is where the temporary data directory goes: a RAM disk when the
// machine has one, since the soak checks the pipeline's logic, not the
// disk's fsync latency (which would make it several times slower).
func scratch() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm"
	}
	return ""
}

// soak runs the local runtime, drives it and checks it.
func soak(ctx context.Context, opts options, stderr io.Writer) (*summary, error) {
	logFile, err := os.Create(filepath.Join(opts.dir, "soak.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	injector := faults.New(opts.faults)
	published := &publishLog{ids: map[string]bool{}}
	app, err := local.New(local.Options{
		Addr: "127.0.0.1:0", DataDir: filepath.Join(opts.dir, "data"), Token: "soak-token",
		Clock: "manual", Start: start, RateLimit: -1,
		// Fast retries and few receives: faults reach the DLQ within the
		// soak's time.
		Bus:    localbus.Options{BaseBackoff: 2 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxReceives: 4, NoSync: true},
		Log:    slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Faults: injector,
		// Inside the faults: it sees what reached the bus.
		Wrap: func(svc *pipeline.Service) { published.Publisher = svc.Publisher; svc.Publisher = published },
	})
	if err != nil {
		return nil, fmt.Errorf("start app: %w", err)
	}
	defer app.Close()
	runCtx, stopApp := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(runCtx) }()
	defer func() { stopApp(); <-done }()
	select {
	case <-app.Ready():
	case err := <-done:
		return nil, fmt.Errorf("app stopped before ready: %w", err)
	}

	began := time.Now()
	sum := &summary{planned: opts.leads, faults: injector, stages: map[lead.Stage]int{}}
	plans := makePlans(opts.leads, opts.seed)
	c := newClient("http://"+app.Addr(), app.Token(), opts.workers)
	d := &driver{c: c, plans: plans, ids: make([]string, len(plans)), now: app.Clock().Now()}
	phases := []struct {
		name string
		fn   func(context.Context, int) error
	}{
		{"capture", d.capture},
		{"behaviour events", d.positives},
		{"negative events", d.negatives},
		{"outcomes", d.outcomes},
	}
	for _, ph := range phases {
		t0 := time.Now()
		if err := forEach(ctx, len(plans), opts.workers, ph.fn); err != nil {
			return nil, fmt.Errorf("%s: %w", ph.name, err)
		}
		fmt.Fprintf(stderr, "soak: %-16s %6d leads in %s\n", ph.name, len(plans), time.Since(t0).Round(time.Millisecond))
	}
	sum.accepted = int(d.accepted.Load())
	sum.resubmitted = int(d.resubmitted.Load())
	sum.duplicates += int(d.idMismatch.Load())
	if err := app.Settle(ctx); err != nil {
		return sum, fmt.Errorf("settle with faults on: %w", err)
	}
	dead, err := app.Bus.DeadLetters("")
	if err != nil {
		return sum, err
	}
	sum.dlq = len(dead)
	injector.SetEnabled(false)
	for _, r := range events.Routes {
		n, err := app.Bus.Redrive(ctx, r.Consumer)
		if err != nil {
			return sum, fmt.Errorf("redrive %s: %w", r.Consumer, err)
		}
		sum.redriven += n
	}
	if err := app.Settle(ctx); err != nil {
		return sum, fmt.Errorf("settle after redrive: %w", err)
	}
	if dead, err = app.Bus.DeadLetters(""); err != nil {
		return sum, err
	}
	sum.dlqAfter = len(dead)
	failed, err := app.Timers.Failed()
	if err != nil {
		return sum, err
	}
	sum.failedTimers = len(failed)
	sum.retries = int(c.retries.Load())
	sum.drive = time.Since(began)
	if err := check(ctx, app, d, published, sum); err != nil {
		return sum, fmt.Errorf("check: %w", err)
	}
	if opts.advance > 0 {
		t0 := time.Now()
		if err := runTimers(ctx, app, injector, opts.advance, sum); err != nil {
			return sum, fmt.Errorf("timers: %w", err)
		}
		fmt.Fprintf(stderr, "soak: %-16s %6s in %s\n", "timers", opts.advance, time.Since(t0).Round(time.Millisecond))
		if err := checkNurture(ctx, app, d, sum); err != nil {
			return sum, fmt.Errorf("check nurture: %w", err)
		}
	}
	return sum, nil
}

// runTimers moves the clock with faults on, so nurture touches and SLA
// timers fire and fail, then finishes what failed with faults off.
func runTimers(ctx context.Context, app *local.App, injector *faults.Injector, d time.Duration, sum *summary) error {
	injector.SetEnabled(true)
	if err := app.Advance(ctx, d); err != nil {
		return err
	}
	injector.SetEnabled(false)
	dead, err := app.Bus.DeadLetters("")
	if err != nil {
		return err
	}
	sum.dlq += len(dead)
	for _, r := range events.Routes {
		n, err := app.Bus.Redrive(ctx, r.Consumer)
		if err != nil {
			return err
		}
		sum.redriven += n
	}
	failed, err := app.Timers.Requeue(ctx)
	if err != nil {
		return err
	}
	sum.requeued = failed
	// Requeued timers are due at once: a minute more fires them.
	if err := app.Advance(ctx, time.Minute); err != nil {
		return err
	}
	if dead, err = app.Bus.DeadLetters(""); err != nil {
		return err
	}
	sum.dlqAfter += len(dead)
	still, err := app.Timers.Failed()
	if err != nil {
		return err
	}
	sum.failedTimers += len(still)
	return nil
}

// publishLog records the id of every event that reached the bus.
type publishLog struct {
	pipeline.Publisher
	mu  sync.Mutex
	ids map[string]bool
}

func (p *publishLog) Publish(ctx context.Context, envs ...events.Envelope) error {
	if err := p.Publisher.Publish(ctx, envs...); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, env := range envs {
		p.ids[env.ID] = true
	}
	return nil
}

func (p *publishLog) has(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ids[id]
}

// forEach calls fn for 0..n-1 on workers goroutines and returns the first
// error (the others stop taking work).
func forEach(ctx context.Context, n, workers int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil && !errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	return first
}

// summary is the soak's report.
type summary struct {
	planned, accepted, resubmitted, completed int
	dlq, redriven, dlqAfter, failedTimers     int
	requeued, touches, touchesWrong           int
	duplicates, lost, leftover                int
	stageWrong, scoreWrong, routingWrong      int
	activitiesWrong, pendingLeft              int
	notifications, emails, retries            int
	drive, check                              time.Duration
	stages                                    map[lead.Stage]int
	problems                                  []string
	faults                                    *faults.Injector
}

const maxProblems = 20

func (s *summary) problem(format string, args ...any) {
	if len(s.problems) < maxProblems {
		s.problems = append(s.problems, fmt.Sprintf(format, args...))
	}
}

func (s *summary) ok() bool {
	return s.accepted == s.planned && s.completed == s.accepted && s.dlqAfter == 0 && s.failedTimers == 0 &&
		s.duplicates == 0 && s.lost == 0 && s.leftover == 0 && s.stageWrong == 0 && s.scoreWrong == 0 &&
		s.routingWrong == 0 && s.activitiesWrong == 0 && s.pendingLeft == 0 && s.touchesWrong == 0
}

func (s *summary) print(w io.Writer) {
	rows := []struct {
		name string
		v    any
	}{
		{"leads planned", s.planned},
		{"accepted (202)", s.accepted},
		{"resubmitted (same key)", s.resubmitted},
		{"completed", s.completed},
		{"in DLQ with faults on", s.dlq},
		{"redriven", s.redriven},
		{"in DLQ after redrive", s.dlqAfter},
		{"timers requeued", s.requeued},
		{"failed timers", s.failedTimers},
		{"duplicates found", s.duplicates},
		{"lost", s.lost},
		{"unexpected leads", s.leftover},
		{"wrong stage", s.stageWrong},
		{"wrong score", s.scoreWrong},
		{"wrong routing/notice", s.routingWrong},
		{"wrong activities", s.activitiesWrong},
		{"unpublished events", s.pendingLeft},
		{"owner notifications", s.notifications},
		{"nurture emails", s.emails},
		{"nurture touches", s.touches},
		{"touches twice/after exit", s.touchesWrong},
		{"HTTP retries", s.retries},
		{"drive + settle", s.drive.Round(time.Millisecond)},
		{"check", s.check.Round(time.Millisecond)},
	}
	fmt.Fprintln(w, "┌──────────────────────────┬────────────┐")
	for _, r := range rows {
		fmt.Fprintf(w, "│ %-24s │ %10v │\n", r.name, r.v)
	}
	fmt.Fprintln(w, "└──────────────────────────┴────────────┘")
	var stages []string
	for _, st := range lead.Stages {
		if n := s.stages[st]; n > 0 {
			stages = append(stages, fmt.Sprintf("%s %d", st, n))
		}
	}
	fmt.Fprintf(w, "final stages: %s\n", strings.Join(stages, ", "))
	if s.faults != nil {
		fmt.Fprintf(w, "faults %s\n%s", s.faults.Spec(), s.faults.Summary())
	}
	if len(s.problems) > 0 {
		fmt.Fprintf(w, "first problems:\n  %s\n", strings.Join(s.problems, "\n  "))
	}
}
