package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"strings"
	"time"
)

// view is what every page template gets.
type view struct {
	Title string
	Nav   string // the active section
	CSRF  string
	Flash *flash
	Now   time.Time
	// Snapshot is when the leads behind a list or report were read (zero
	// for pages that read the store directly).
	Snapshot time.Time
	Data     any
}

// pages holds one template set per page, each the layout plus the page.
type pages struct {
	sets map[string]*template.Template
}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"age": func(t time.Time) string { return humanDuration(time.Since(t).Round(time.Second)) },
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"num": func(f float64) string {
		if f == math.Trunc(f) {
			return fmt.Sprintf("%.0f", f)
		}
		return fmt.Sprintf("%.2f", f)
	},
	"signed": func(f float64) string {
		if f == math.Trunc(f) {
			return fmt.Sprintf("%+.0f", f)
		}
		return fmt.Sprintf("%+.2f", f)
	},
	"pct": func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
	"add": func(a, b int) int { return a + b },
	"dur": humanDuration,
	"dash": func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	},
}

// humanDuration renders a duration for people: 3d 4h, 2h 5m, 40s.
func humanDuration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	var s string
	switch {
	case d >= 24*time.Hour:
		s = fmt.Sprintf("%dd %dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
	case d >= time.Hour:
		s = fmt.Sprintf("%dh %dm", d/time.Hour, d%time.Hour/time.Minute)
	case d >= time.Minute:
		s = fmt.Sprintf("%dm %ds", d/time.Minute, d%time.Minute/time.Second)
	default:
		s = d.Round(time.Millisecond).String()
	}
	if neg {
		return "−" + s
	}
	return s
}

// pageSet is parsed once: the templates are embedded, so a template that
// does not parse is a build defect the package's tests catch, like a bad
// regexp.MustCompile.
var pageSet = mustParsePages()

func mustParsePages() *pages {
	p, err := parsePages()
	if err != nil {
		panic(err)
	}
	return p
}

func parsePages() (*pages, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("console: parse layout: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console: list templates: %w", err)
	}
	p := &pages{sets: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		set, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("console: parse %s: %w", n, err)
		}
		p.sets[name] = set
	}
	return p, nil
}

// render writes a page. The page is rendered into a buffer first, so a
// template failure becomes a clean 500 rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, s *session, v *view) {
	v.Now = c.now()
	if s != nil {
		v.CSRF = s.csrf
		if v.Flash == nil {
			v.Flash = c.sessions.takeFlash(s)
		}
	}
	set, ok := c.pages.sets[page]
	var buf bytes.Buffer
	if !ok {
		c.opts.Log.ErrorContext(r.Context(), "console: no such template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := set.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.opts.Log.ErrorContext(r.Context(), "console: render page", "page", page, "err", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail shows an error page with a message meant for the operator.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	c.render(w, r, status, "error", s, &view{Title: http.StatusText(status), Flash: &flash{Error: true, Text: msg}})
}

func (c *Console) now() time.Time { return c.opts.Service.Clock.Now().UTC() }
