// Package local runs the whole pipeline in one process for `leadflow dev`
// and the end-to-end tests: the HTTP API, the in-process bus and queues with
// the events routing table, durable timers, the embedded store and the local
// outbox, all in one data file, calling the same handlers the Lambdas run.
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/embedded"
	"github.com/leadflow/leadflow/shared/faults"
	"github.com/leadflow/leadflow/shared/handlers"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/internal/groupcommit"
	"github.com/leadflow/leadflow/shared/lead/phone"
	"github.com/leadflow/leadflow/shared/localbus"
	"github.com/leadflow/leadflow/shared/localtimer"
	"github.com/leadflow/leadflow/shared/outbox"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
	"github.com/leadflow/leadflow/shared/wire"
)

// Options configures the local runtime. Zero values work.
type Options struct {
	Addr       string // default 127.0.0.1:8080; use 127.0.0.1:0 in tests
	DataDir    string // default ./.data
	ConfigPath string // default: the shipped leadflow.yaml
	Token      string // bearer token of internal routes; default "dev-token"
	// Clock is "real" (default) or "manual" (moves only on
	// POST /v1/_clock/advance). Speed > 1 runs a real clock N× faster.
	Clock string
	Speed float64
	// Start is the manual clock's first instant (default: now).
	Start time.Time
	// RateLimit is the per-address rate (requests/s) of public routes;
	// 0 means the default of 200/s, negative disables it.
	RateLimit float64
	// WebhookSecret signs events/outcomes; LinkedInSecret the LinkedIn route.
	WebhookSecret  string
	LinkedInSecret string
	Bus            localbus.Options
	Log            *slog.Logger
	// Wrap lets fault injection wrap the ports before they are used.
	Wrap func(*pipeline.Service)
	// Faults, when set, makes the ports and queue deliveries fail as its
	// spec says (`leadflow dev --faults`, the soak); applied after Wrap.
	Faults *faults.Injector
}

// App is one running local pipeline.
type App struct {
	opts     Options
	Config   *config.Config
	Store    *embedded.Store
	Bus      *localbus.Bus
	Timers   *localtimer.Timers
	Outbox   *outbox.Outbox
	commit   *groupcommit.Committer // of the data file every adapter shares
	Service  *pipeline.Service
	Handlers *handlers.Set
	API      *httpapi.API
	clock    pipeline.Clock
	manual   *localtimer.ManualClock

	listener net.Listener
	server   *http.Server
	ready    chan struct{}
	closeMu  sync.Once
}

// New opens the data directory and wires the pipeline. It does not start
// serving: call Run. Returns the config's errors (file, line, rule) when the
// config is invalid.
func New(opts Options) (*App, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:8080"
	}
	if opts.DataDir == "" {
		opts.DataDir = ".data"
	}
	if opts.Token == "" {
		opts.Token = "dev-token"
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	opts.Bus.Logger = opts.Log
	cfg, err := loadConfig(opts.ConfigPath)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	a := &App{opts: opts, Config: cfg, ready: make(chan struct{})}
	switch {
	case opts.Clock == "manual":
		start := opts.Start
		if start.IsZero() {
			start = time.Now().UTC()
		}
		a.manual = localtimer.NewManualClock(start)
		a.clock = a.manual
	case opts.Speed > 1:
		if a.clock, err = localtimer.NewScaledClock(time.Now(), opts.Speed); err != nil {
			return nil, err
		}
	default:
		a.clock = localtimer.RealClock{}
	}
	if err := a.open(); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return configfile.Default(celrules.Compile)
	}
	return configfile.Load(path, celrules.Compile)
}

func (a *App) open() error {
	var err error
	if a.commit, err = openData(a.opts.DataDir); err != nil {
		return err
	}
	if a.Bus, err = localbus.New(a.commit, a.opts.Bus); err != nil {
		return fmt.Errorf("open bus: %w", err)
	}
	if a.Store, err = embedded.New(a.commit, embedded.WithRelay(a.Bus.Stage)); err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	if a.Timers, err = localtimer.New(a.commit, a.clock, localtimer.WithLogger(a.opts.Log)); err != nil {
		return fmt.Errorf("open timers: %w", err)
	}
	if a.Outbox, err = outbox.New(a.commit); err != nil {
		return fmt.Errorf("open outbox: %w", err)
	}
	a.Service = &pipeline.Service{
		Rules:     wire.Rules(a.Config),
		Store:     a.Store,
		Publisher: a.Bus,
		Sender:    a.Bus,
		Scheduler: a.Timers,
		Notifier:  a.Outbox,
		Mailer:    a.Outbox,
		Clock:     a.clock,
		IDs:       wire.NewIDs(a.clock),
		Log:       a.opts.Log,
		Metrics:   wire.NewMetrics(a.opts.Log),
		Phones:    phone.E164,
	}
	if a.Service.CRM, err = wire.CRM(a.Config, a.clock, a.opts.Log, os.Getenv, nil); err != nil {
		return fmt.Errorf("crm: %w", err)
	}
	if a.Service.Enricher, err = wire.Enricher(a.Config, a.Store, a.clock, a.Service.Metrics, a.opts.Log, nil); err != nil {
		return fmt.Errorf("enrichment: %w", err)
	}
	if a.opts.Wrap != nil {
		a.opts.Wrap(a.Service)
	}
	if a.opts.Faults != nil {
		a.opts.Faults.Wrap(a.Service)
	}
	a.Handlers = wire.Handlers(a.Service, a.opts.Log)
	for _, r := range events.Routes {
		h, err := a.Handlers.Consumer(r.Consumer)
		if err != nil {
			a.opts.Log.Warn("consumer has no handler; its queue is kept until one is added", "consumer", string(r.Consumer))
			continue
		}
		if a.opts.Faults != nil {
			h = a.opts.Faults.Handler(h)
		}
		if err := a.Bus.Subscribe(r.Consumer, localbus.Handler(h)); err != nil {
			return err
		}
	}
	for kind, h := range a.Handlers.Timers() {
		a.Timers.Handle(kind, localtimer.Handler(h))
	}
	rate := a.opts.RateLimit
	if rate == 0 {
		rate = 200
	}
	a.API = &httpapi.API{
		Service: a.Service,
		Token:   a.opts.Token,
		Log:     a.opts.Log,
	}
	if a.opts.WebhookSecret != "" || a.opts.LinkedInSecret != "" {
		keys := httpapi.Keys{HMACSecret: a.opts.WebhookSecret, LinkedInSecret: a.opts.LinkedInSecret}
		a.API.Signer = &httpapi.Signer{Keys: httpapi.FixedKeys(keys), Clock: a.clock, Seen: a.Store}
	}
	if rate > 0 {
		a.API.Limiter = &httpapi.Limiter{Rate: rate, Burst: 2 * rate}
	}
	return nil
}

// Run listens, serves, delivers and fires timers until ctx is cancelled,
// then shuts down gracefully: the server stops accepting, in-flight handlers
// finish, and anything unfinished stays on disk for the next start.
func (a *App) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.opts.Addr, err)
	}
	a.listener = ln
	a.server = &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 3)
	go func() { errc <- a.Bus.Run(runCtx) }()
	go func() { errc <- a.Timers.Run(runCtx) }()
	go func() {
		if err := a.server.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
			return
		}
		errc <- nil
	}()
	close(a.ready)
	a.opts.Log.Info("leadflow dev ready", "addr", ln.Addr().String(), "data", a.opts.DataDir, "config_version", a.Config.Version)
	var first error
	select {
	case <-ctx.Done():
	case first = <-errc:
	}
	shutdownCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	_ = a.server.Shutdown(shutdownCtx)
	cancel()
	for i := 0; i < 2; i++ {
		if err := <-errc; err != nil && first == nil && ctx.Err() == nil {
			first = err
		}
	}
	return first
}

// Ready is closed once Run serves requests.
func (a *App) Ready() <-chan struct{} { return a.ready }

// Addr is the address Run listens on (the real port when given port 0).
func (a *App) Addr() string {
	if a.listener == nil {
		return a.opts.Addr
	}
	return a.listener.Addr().String()
}

// Token is the bearer token of internal routes.
func (a *App) Token() string { return a.opts.Token }

// Clock is the runtime's clock.
func (a *App) Clock() pipeline.Clock { return a.clock }

// Close closes the data file. Call it after Run returned.
func (a *App) Close() error {
	var errs []error
	a.closeMu.Do(func() {
		if a.Bus != nil {
			errs = append(errs, a.Bus.Close())
		}
		if a.commit != nil {
			// The adapters share the file: it closes once, after them.
			a.commit.Close()
			errs = append(errs, a.commit.DB().Close())
		}
	})
	return errors.Join(errs...)
}

// Settle waits until the pipeline is idle: every queue empty and nothing in
// flight.
func (a *App) Settle(ctx context.Context) error {
	return a.Bus.WaitIdle(ctx)
}
