// Package console is the operator console: server-rendered HTML pages over
// the pipeline's store and services for RevOps admins and sales managers —
// leads, a lead's full story, owner queues, routing fairness, the funnel,
// the closed-loop audit, dead letters and the active config — with the rep
// actions (contacted, disqualify, reassign) as CSRF-protected forms.
//
// It is an HTTP adapter like httpapi: it calls the pipeline's services and
// reads the Store port, and holds no business rule of its own. Pages are
// Go html/template (every value HTML-escaped), the stylesheet and the small
// script are embedded, and no personal data ever appears in a URL: searches
// are posted and kept in the session behind an opaque id, and leads are
// linked by their ids.
//
// Locally `leadflow dev` serves it at /console/ behind a login with the dev
// token. In AWS the expected shape is the same handler behind the API's
// internal authorizer with a Cognito user pool and its hosted login in front
// (README.md beside this file).
package console

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/localbus"
	"github.com/leadflow/leadflow/shared/pipeline"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Timers lists a lead's pending durable timers (SLA, nurture), soonest
// first. *localtimer.Timers implements it.
type Timers interface {
	Pending(leadID string) []pipeline.Timer
}

// DeadLetters lists and redrives dead-lettered messages. *localbus.Bus
// implements it. DeadLetters returns EINVALID for an unknown consumer
// (every consumer for ""); Redrive moves the named messages (all of the
// consumer's for none) back to their queue and says how many moved.
type DeadLetters interface {
	DeadLetters(c events.Consumer) ([]localbus.DeadLetter, error)
	Redrive(ctx context.Context, c events.Consumer, ids ...string) (int, error)
}

// Options wires the console to a running pipeline.
type Options struct {
	Service *pipeline.Service // the store, rules, clock and rep actions
	Config  *config.Config    // the active config
	// ConfigPath is the active config's file; a candidate config's relative
	// paths (datasets) resolve beside it. "" (the embedded default config):
	// they resolve in the working directory.
	ConfigPath string
	Timers     Timers      // nil: the lead page says timers are not listed here
	DLQ        DeadLetters // nil: the dead-letter page says so
	// Token is the secret an operator types to log in (the dev token).
	Token string
	Log   *slog.Logger
	// SessionTTL is how long a login lasts; default 8 hours.
	SessionTTL time.Duration
}

// Console serves the console's pages. It is safe for concurrent use.
type Console struct {
	opts     Options
	pages    *pages
	sessions *sessions
	snap     *snapshot
	logins   *httpapi.Limiter
	mux      *http.ServeMux
}

// Prefix is the path the console is served under.
const Prefix = "/console/"

// New builds the console.
func New(opts Options) *Console {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 8 * time.Hour
	}
	c := &Console{
		opts: opts, pages: pageSet,
		sessions: newSessions(opts.SessionTTL),
		// Guessing the token is the only way in: a few tries per second.
		logins: &httpapi.Limiter{Rate: 1, Burst: 10},
		mux:    http.NewServeMux(),
	}
	c.snap = &snapshot{scan: c.scan}
	c.routes()
	return c
}

func (c *Console) routes() {
	assets, _ := fs.Sub(assetFS, "assets") // the directory is embedded: cannot fail
	c.mux.Handle("GET /console/assets/", http.StripPrefix("/console/assets/", cacheAssets(http.FileServerFS(assets))))
	c.mux.HandleFunc("GET /console/login", c.loginPage)
	c.mux.HandleFunc("POST /console/login", c.login)
	c.mux.HandleFunc("POST /console/logout", c.authed(c.logout))
	c.mux.HandleFunc("GET /console/{$}", c.authed(func(w http.ResponseWriter, r *http.Request, s *session) {
		http.Redirect(w, r, "/console/leads", http.StatusSeeOther)
	}))
	c.mux.HandleFunc("GET /console/leads", c.authed(c.leadsPage))
	c.mux.HandleFunc("POST /console/leads/search", c.authed(c.search))
	c.mux.HandleFunc("GET /console/leads/{id}", c.authed(c.leadPage))
	c.mux.HandleFunc("POST /console/leads/{id}/contacted", c.authed(c.contacted))
	c.mux.HandleFunc("POST /console/leads/{id}/disqualify", c.authed(c.disqualify))
	c.mux.HandleFunc("POST /console/leads/{id}/reassign", c.authed(c.reassign))
	c.mux.HandleFunc("GET /console/queues", c.authed(c.queuesPage))
	c.mux.HandleFunc("GET /console/fairness", c.authed(c.fairnessPage))
	c.mux.HandleFunc("GET /console/funnel", c.authed(c.funnelPage))
	c.mux.HandleFunc("GET /console/audit", c.authed(c.auditPage))
	c.mux.HandleFunc("GET /console/dlq", c.authed(c.dlqPage))
	c.mux.HandleFunc("GET /console/dlq/{consumer}/{id}", c.authed(c.deadLetterPage))
	c.mux.HandleFunc("POST /console/dlq/redrive", c.authed(c.redrive))
	c.mux.HandleFunc("GET /console/config", c.authed(c.configPage))
	c.mux.HandleFunc("POST /console/config/replay", c.authed(c.replay))
	c.mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, nil, http.StatusNotFound, "No such page.")
	})
}

// ServeHTTP serves the console under Prefix with security headers on every
// answer: a strict content security policy (no inline script), no framing,
// no referrer to other sites, no caching of pages.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// same-origin, not no-referrer: with no-referrer browsers send "Origin:
	// null" on form posts, which sameOrigin refuses.
	h.Set("Referrer-Policy", "same-origin")
	c.mux.ServeHTTP(w, r)
}

func cacheAssets(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private, max-age=300")
		h.ServeHTTP(w, r)
	})
}
