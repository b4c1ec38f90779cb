package nurture

import (
	"net/url"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

// recentWindow is how far back an activity still counts as a recent event
// worth mentioning in a template.
const recentWindow = 30 * Day

// MergeValues returns the merge fields a template may use that come from the
// lead, its enrichment and its behaviour: first_name, last_name, title,
// company and industry (the lead's, else its account's), country, and
// recent_event (the latest webinar, download or pricing/demo visit of the
// last 30 days). A field the lead lacks is absent, so the step's fallback
// text fills it. The sender's fields (owner_name, sender_name,
// unsubscribe_url) are the service's to add.
func MergeValues(l *lead.Lead, a *lead.Account, acts []lead.Activity, now time.Time) map[string]string {
	v := map[string]string{}
	set := func(k string, vals ...string) {
		for _, x := range vals {
			if x = strings.TrimSpace(x); x != "" {
				v[k] = x
				return
			}
		}
	}
	var acc lead.Account
	if a != nil {
		acc = *a
	}
	set("first_name", l.FirstName)
	set("last_name", l.LastName)
	set("title", l.Title)
	set("company", l.Company, acc.Name)
	set("industry", l.Industry, acc.Industry)
	set("country", l.Country, acc.Country)
	set("recent_event", recentEvent(acts, now))
	return v
}

// recentEvent describes the lead's latest notable activity in words that
// fit "I left you a voicemail about …".
func recentEvent(acts []lead.Activity, now time.Time) string {
	for i := len(acts) - 1; i >= 0; i-- {
		a := acts[i]
		if now.Sub(a.OccurredAt) > recentWindow || a.OccurredAt.After(now) {
			continue
		}
		name := a.Properties["title"]
		if name == "" {
			name = a.Properties["name"]
		}
		switch a.Type {
		case lead.ActivityWebinarAttended:
			if name != "" {
				return "the " + name + " webinar"
			}
			return "the webinar you attended"
		case lead.ActivityContentDownload:
			if name != "" {
				return "the " + name + " you downloaded"
			}
			return "the guide you downloaded"
		case lead.ActivityPageView:
			path := urlPath(a.URL)
			switch {
			case strings.Contains(path, "/pricing"):
				return "your visit to our pricing page"
			case strings.Contains(path, "/demo"):
				return "your visit to our demo page"
			}
		}
	}
	return ""
}

// urlPath returns the lower-cased path of a URL, "" when it cannot be
// parsed.
func urlPath(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.ToLower(p.Path)
}
