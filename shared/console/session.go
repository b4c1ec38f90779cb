package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// cookieName holds the session id; the token itself never leaves the
// login form.
const cookieName = "leadflow_console"

// maxSearches bounds the searches a session remembers.
const maxSearches = 20

// session is one logged-in operator. Searches map opaque ids to the
// posted search text, so that result links carry no personal data.
type session struct {
	id       string
	csrf     string
	expires  time.Time
	flash    *flash
	searches map[string]string
	order    []string // search ids, oldest first
}

// flash is a one-shot message shown on the next page.
type flash struct {
	Error bool
	Text  string
}

type sessions struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]*session
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{ttl: ttl, m: map[string]*session{}}
}

// randomID returns 32 random bytes, URL-safe base64.
func randomID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

func (ss *sessions) create(now time.Time) *session {
	s := &session{id: randomID(), csrf: randomID(), expires: now.Add(ss.ttl), searches: map[string]string{}}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for id, old := range ss.m {
		if now.After(old.expires) {
			delete(ss.m, id)
		}
	}
	ss.m[s.id] = s
	return s
}

func (ss *sessions) get(id string, now time.Time) (*session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[id]
	if !ok || now.After(s.expires) {
		delete(ss.m, id)
		return nil, false
	}
	return s, true
}

func (ss *sessions) drop(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, id)
}

// setFlash and takeFlash pass a message to the next page of the session.
func (ss *sessions) setFlash(s *session, f flash) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s.flash = &f
}

func (ss *sessions) takeFlash(s *session) *flash {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	f := s.flash
	s.flash = nil
	return f
}

// remember stores a search and returns its opaque id.
func (ss *sessions) remember(s *session, text string) string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	id := randomID()[:16]
	s.searches[id] = text
	s.order = append(s.order, id)
	if len(s.order) > maxSearches {
		delete(s.searches, s.order[0])
		s.order = s.order[1:]
	}
	return id
}

func (ss *sessions) search(s *session, id string) (string, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	text, ok := s.searches[id]
	return text, ok
}

// handler is a console page or action with its session.
type handler func(w http.ResponseWriter, r *http.Request, s *session)

// authed requires a live session: pages redirect to the login form, and
// every POST must carry the session's CSRF token and come from this origin.
func (c *Console) authed(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie(cookieName)
		var s *session
		ok := false
		if err == nil {
			s, ok = c.sessions.get(ck.Value, time.Now())
		}
		if !ok {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/console/login", http.StatusSeeOther)
				return
			}
			c.fail(w, r, nil, http.StatusUnauthorized, "Your session has ended. Log in again.")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodPost {
			// A candidate config for the replay is the largest post.
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if !sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(s.csrf)) != 1 {
				c.fail(w, r, s, http.StatusForbidden, "The form has expired or came from elsewhere. Reload the page and try again.")
				return
			}
		}
		h(w, r, s)
	}
}

// sameOrigin refuses a cross-site POST: an Origin header, when the browser
// sends one, must name this host.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "login", nil, &view{Title: "Log in"})
}

// login checks the token and starts a session. The token is read from the
// posted form only, never from the URL.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	if !sameOrigin(r) {
		c.render(w, r, http.StatusForbidden, "login", nil, &view{Title: "Log in", Flash: &flash{Error: true, Text: "Log in from the console's own page."}})
		return
	}
	if !c.logins.Allow(ip) {
		c.render(w, r, http.StatusTooManyRequests, "login", nil, &view{Title: "Log in", Flash: &flash{Error: true, Text: "Too many attempts. Wait a few seconds."}})
		return
	}
	token := r.PostFormValue("token")
	if c.opts.Token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(c.opts.Token)) != 1 {
		c.render(w, r, http.StatusUnauthorized, "login", nil, &view{Title: "Log in", Flash: &flash{Error: true, Text: "That token is not valid."}})
		return
	}
	s := c.sessions.create(time.Now())
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: s.id, Path: Prefix, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https", MaxAge: int(c.opts.SessionTTL.Seconds()),
	})
	http.Redirect(w, r, "/console/leads", http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *session) {
	c.sessions.drop(s.id)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: Prefix, HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}
