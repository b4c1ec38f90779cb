package console

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/leadflow/leadflow/shared/lead"
)

// repOption is a rep in a select list.
type repOption struct {
	ID, Name string
}

func (c *Console) repOptions() []repOption {
	reps := c.opts.Config.RoutingConfig.Reps
	out := make([]repOption, len(reps))
	for i, r := range reps {
		out[i] = repOption{ID: r.ID, Name: r.Name}
	}
	return out
}

// leadsData is the leads page.
type leadsData struct {
	Filter     filter
	SearchText string
	Rows       []*row
	Matched    int
	Total      int
	Pages      int
	Stages     []lead.Stage
	Reps       []repOption
	Sources    []string
	Bands      []band
	Unassigned string
	Sortable   []column
}

// column is a sortable column header.
type column struct {
	Key, Label, URL, Sorted string // Sorted: "ascending", "descending" or ""
}

// readFilter reads the leads query. Unknown values are dropped rather than
// refused: a stale bookmark still shows a page.
func readFilter(q url.Values) filter {
	f := filter{
		Stage: q.Get("stage"), Owner: q.Get("owner"), Source: q.Get("source"), Band: q.Get("band"),
		Search: q.Get("s"), Sort: q.Get("sort"), Dir: q.Get("dir"),
	}
	if !lead.Stage(f.Stage).Valid() {
		f.Stage = ""
	}
	if _, ok := bandByID(f.Band); !ok {
		f.Band = ""
	}
	if !slices.Contains(sortKeys, f.Sort) {
		f.Sort = "score"
	}
	if f.Dir != "asc" {
		f.Dir = "desc"
	}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	f.Page = max(f.Page, 1)
	return f
}

// URL is the leads page of the filter.
func (f filter) URL() string {
	q := url.Values{}
	for k, v := range map[string]string{"stage": f.Stage, "owner": f.Owner, "source": f.Source, "band": f.Band, "s": f.Search, "sort": f.Sort, "dir": f.Dir} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Page > 1 {
		q.Set("page", strconv.Itoa(f.Page))
	}
	return "/console/leads?" + q.Encode()
}

// PageURL is the filter's page n.
func (f filter) PageURL(n int) string {
	f.Page = n
	return f.URL()
}

func (f filter) columns() []column {
	labels := map[string]string{"score": "Score", "created": "Created", "name": "Name", "company": "Company", "stage": "Stage", "owner": "Owner"}
	out := make([]column, len(sortKeys))
	for i, k := range sortKeys {
		g := f
		g.Sort, g.Page, g.Dir = k, 1, "desc"
		col := column{Key: k, Label: labels[k]}
		if f.Sort == k {
			col.Sorted = map[string]string{"asc": "ascending", "desc": "descending"}[f.Dir]
			if f.Dir == "desc" {
				g.Dir = "asc"
			}
		}
		col.URL = g.URL()
		out[i] = col
	}
	return out
}

func (c *Console) leadsPage(w http.ResponseWriter, r *http.Request, s *session) {
	f := readFilter(r.URL.Query())
	if f.Search != "" {
		text, ok := c.sessions.search(s, f.Search)
		if !ok {
			f.Search = "" // a search of an ended session: show everything
		}
		f.text = strings.ToLower(text)
	}
	rows, at, err := c.snap.get(r.Context())
	if err != nil {
		c.storeFailed(w, r, s, err)
		return
	}
	// An exact email finds the lead through the email index, so a lead
	// captured a moment ago is found before the snapshot has it.
	var current *row
	if strings.Contains(f.text, "@") {
		l, err := c.opts.Service.Store.LeadByEmail(r.Context(), lead.PersonKey(f.text))
		switch {
		case err == nil:
			cur := newRow(l)
			current = &cur
		case !lead.IsCode(err, lead.ENOTFOUND) && !lead.IsCode(err, lead.EINVALID):
			c.storeFailed(w, r, s, err)
			return
		}
	}
	page, matched := selectRows(rows, f, current)
	sources := map[string]bool{}
	for i := range rows {
		sources[rows[i].Source] = true
	}
	delete(sources, "")
	d := &leadsData{
		Filter: f, Rows: page, Matched: matched, Total: len(rows), Pages: max(1, (matched+pageSize-1)/pageSize),
		Stages: lead.Stages, Reps: c.repOptions(), Bands: bands, Unassigned: unassigned, Sortable: f.columns(),
	}
	if f.Search != "" {
		d.SearchText, _ = c.sessions.search(s, f.Search)
	}
	for src := range sources {
		d.Sources = append(d.Sources, src)
	}
	slices.Sort(d.Sources)
	c.render(w, r, http.StatusOK, "leads", s, &view{Snapshot: at, Title: "Leads", Nav: "leads", Data: d})
}

// search keeps the posted search text in the session and redirects to the
// results under an opaque id, so the email or company searched for never
// lands in a URL, a log line or the browser history.
func (c *Console) search(w http.ResponseWriter, r *http.Request, s *session) {
	text := strings.TrimSpace(r.PostFormValue("q"))
	if len(text) > 200 {
		text = text[:200]
	}
	f := readFilter(url.Values{
		"stage": {r.PostFormValue("stage")}, "owner": {r.PostFormValue("owner")},
		"source": {r.PostFormValue("source")}, "band": {r.PostFormValue("band")},
		"sort": {r.PostFormValue("sort")}, "dir": {r.PostFormValue("dir")},
	})
	if text != "" {
		f.Search = c.sessions.remember(s, text)
	}
	http.Redirect(w, r, f.URL(), http.StatusSeeOther)
}

// storeFailed answers a store error: 503 for a transient failure, 500
// otherwise, logged without personal data.
func (c *Console) storeFailed(w http.ResponseWriter, r *http.Request, s *session, err error) {
	code := lead.ErrorCode(err)
	c.opts.Log.ErrorContext(r.Context(), "console: read failed", "path", r.URL.Path, "code", code)
	if code == lead.EUNAVAILABLE || errors.Is(err, r.Context().Err()) {
		c.fail(w, r, s, http.StatusServiceUnavailable, "The store is busy or unavailable. Try again in a moment.")
		return
	}
	c.fail(w, r, s, http.StatusInternalServerError, "Something went wrong reading the store.")
}
