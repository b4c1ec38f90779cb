package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

// This file is the soak's own reading of SPEC §5's reference model. It
// deliberately shares no code with shared/scoring: the soak checks the
// pipeline against an independent calculation, so a bug in one is caught by
// the other.

const day = 24 * time.Hour

// profile is what the soak submits about one lead, with the facts the
// reference model reads, stated by construction rather than parsed.
type profile struct {
	i          int
	form       string
	fields     map[string]string
	icpTitle   bool
	employees  int // 0: not given
	industry   string
	nonBizMail bool
}

// event is one behaviour event the soak sends, aged relative to the soak's
// frozen clock.
type event struct {
	id   string
	typ  lead.ActivityType
	url  string
	age  time.Duration
	form string // for the form submission the capture records
}

// plan is everything the soak does to one lead and what must come of it.
type plan struct {
	profile
	positives []event // sent first
	negatives []event // sent after every positive was accepted
	outcome   string  // a CRM outcome sent last, "" for none
	resubmit  bool    // post the form again with the same Idempotency-Key
	want      expectation
}

// expectation is the state the reference model implies.
type expectation struct {
	stage  lead.Stage
	total  float64
	fit    float64
	intent float64
}

var (
	icpTitles    = []string{"VP of Sales", "Director of Marketing", "Head of Growth", "Chief Revenue Officer", "VP Marketing"}
	otherTitles  = []string{"Software Engineer", "Student", "Accountant", "Office Assistant", ""}
	headcounts   = []int{0, 10, 49, 50, 200, 1200, 5000, 5001, 20000}
	industries   = []string{"", "software", "saas", "internet", "financial services", "fintech", "professional services", "manufacturing", "retail", "education"}
	coverage     = map[string]bool{"software": true, "saas": true, "internet": true, "financial services": true, "fintech": true, "professional services": true}
	forms        = []string{"demo-request", "contact-us", "content-download", "newsletter", "webinar-registration"}
	places       = [][2]string{{"US", "NY"}, {"US", "TX"}, {"US", "CA"}, {"US", "MA"}, {"DE", ""}, {"GB", ""}, {"SG", ""}, {"BR", ""}, {"", ""}}
	freeDomains  = []string{"gmail.com", "yahoo.com", "outlook.com", "hotmail.com"}
	positiveMix  = []lead.ActivityType{lead.ActivityEmailOpen, lead.ActivityEmailOpen, lead.ActivityEmailClick, lead.ActivityPageView, lead.ActivityPageView, lead.ActivityPageView, lead.ActivityWebinarAttended, lead.ActivityContentDownload, lead.ActivityEmailReply, lead.ActivityMeetingBooked}
	pageURLs     = []string{"https://www.example.com/pricing", "https://www.example.com/demo", "https://www.example.com/blog/post", "https://www.example.com/product/demo?x=1", "https://www.example.com/"}
	outcomeKinds = []string{"sales_accepted", "opportunity", "closed_won", "sales_rejected"}
)

// makePlans builds n lead plans from seed: the same seed, the same plans.
func makePlans(n int, seed uint64) []plan {
	r := rand.New(rand.NewPCG(seed, seed+1))
	plans := make([]plan, n)
	for i := range plans {
		plans[i] = makePlan(r, i)
	}
	return plans
}

func makePlan(r *rand.Rand, i int) plan {
	p := plan{profile: profile{i: i, form: forms[r.IntN(len(forms))]}}
	f := map[string]string{"first_name": fmt.Sprintf("Soak%05d", i), "last_name": "Tester", "consent": "yes"}
	if r.IntN(3) > 0 {
		p.icpTitle = true
		f["title"] = icpTitles[r.IntN(len(icpTitles))]
	} else if t := otherTitles[r.IntN(len(otherTitles))]; t != "" {
		f["title"] = t
	}
	if p.employees = headcounts[r.IntN(len(headcounts))]; p.employees > 0 {
		f["employees"] = strconv.Itoa(p.employees)
	}
	if p.industry = industries[r.IntN(len(industries))]; p.industry != "" {
		f["industry"] = p.industry
	}
	place := places[r.IntN(len(places))]
	if place[0] != "" {
		f["country"] = place[0]
	}
	if place[1] != "" {
		f["state"] = place[1]
	}
	// Several leads share a company domain, so account ownership is in play.
	domain := fmt.Sprintf("soakco%04d.com", r.IntN(max(1, 1+i/3)))
	if r.IntN(8) == 0 {
		p.nonBizMail = true
		domain = freeDomains[r.IntN(len(freeDomains))]
	}
	f["email"] = fmt.Sprintf("soak.lead%05d@%s", i, domain)
	f["company"] = fmt.Sprintf("Soak Company %d", i)
	p.fields = f

	// The capture itself is a form submission, now.
	submit := event{typ: lead.ActivityFormSubmit, form: p.form}
	for j, n := 0, r.IntN(9); j < n; j++ {
		ev := event{id: fmt.Sprintf("soak-%d-%d", i, j), typ: positiveMix[r.IntN(len(positiveMix))]}
		// Whole days plus an hour: never exactly on a 30-day step.
		ev.age = time.Duration(r.IntN(120))*day + time.Hour
		if r.IntN(2) == 0 {
			ev.age = time.Duration(r.IntN(30))*day + time.Hour
		}
		if ev.typ == lead.ActivityPageView {
			ev.url = pageURLs[r.IntN(len(pageURLs))]
		}
		p.positives = append(p.positives, ev)
	}
	var negatives []event
	if r.IntN(10) == 0 {
		negatives = append(negatives, event{id: fmt.Sprintf("soak-%d-unsub", i), typ: lead.ActivityUnsubscribe, age: day + time.Hour})
	}
	if r.IntN(20) == 0 {
		negatives = append(negatives, event{id: fmt.Sprintf("soak-%d-bounce", i), typ: lead.ActivityEmailBounce, age: 2*day + time.Hour})
	}
	all := append([]event{submit}, p.positives...)
	peak := score(p.profile, all)
	final := score(p.profile, append(all, negatives...))
	// Negatives sent after positives that a queue may still be scoring
	// make the stage depend on timing unless both readings agree; only
	// then are they sent.
	if len(negatives) > 0 && stageOf(peak) == stageOf(final) {
		p.negatives = negatives
	} else {
		final = peak
	}
	p.want = expectation{stage: stageOf(final), total: final.total, fit: final.fit, intent: final.intent}
	if r.IntN(12) == 0 {
		p.outcome = outcomeKinds[r.IntN(len(outcomeKinds))]
		p.want.stage = outcomeStage[p.outcome]
	}
	p.resubmit = r.IntN(20) == 0
	return p
}

var outcomeStage = map[string]lead.Stage{
	"sales_accepted": lead.StageSAL,
	"opportunity":    lead.StageOpportunity,
	"closed_won":     lead.StageCustomer,
	"sales_rejected": lead.StageDisqualified,
}

// points is a score by layer, with whether a demo request counts.
type points struct {
	total, fit, intent float64
	demo               bool
}

// decay is the share of an action's points left at age: none from 90 days,
// halved for every 30 days before that.
func decay(age time.Duration) float64 {
	if age >= 90*day {
		return 0
	}
	return math.Pow(0.5, math.Floor(float64(age)/float64(30*day)))
}

// score applies the reference model table of SPEC §5.
func score(p profile, acts []event) points {
	var s points
	if p.icpTitle {
		s.fit += 15
	}
	if p.employees >= 50 && p.employees <= 5000 {
		s.fit += 10
	}
	if p.industry != "" && !coverage[p.industry] {
		s.fit -= 20
	}
	if p.nonBizMail {
		s.fit -= 10
	}
	by := func(match func(event) bool) []time.Duration {
		var ages []time.Duration
		for _, a := range acts {
			if match(a) {
				ages = append(ages, a.age)
			}
		}
		sort.Slice(ages, func(i, j int) bool { return ages[i] < ages[j] }) // most recent first
		return ages
	}
	capped := func(ages []time.Duration, pts float64, limit int) float64 {
		sum := 0.0
		for _, age := range ages[:min(limit, len(ages))] {
			sum += pts * decay(age)
		}
		return sum
	}
	ofType := func(t lead.ActivityType) func(event) bool { return func(e event) bool { return e.typ == t } }
	page := func(part string) func(event) bool {
		return func(e event) bool { return e.typ == lead.ActivityPageView && containsPath(e.url, part) }
	}
	s.intent += capped(by(ofType(lead.ActivityEmailOpen)), 2, 5)
	s.intent += capped(by(ofType(lead.ActivityEmailClick)), 5, 5)
	s.intent += capped(by(page("/pricing")), 10, 1)
	if demos := by(page("/demo")); len(demos) >= 2 {
		s.intent += 20 * decay(demos[1])
	}
	if reqs := by(func(e event) bool { return e.typ == lead.ActivityFormSubmit && e.form == "demo-request" }); len(reqs) > 0 {
		s.intent += 30 * decay(reqs[0])
		s.demo = decay(reqs[0]) > 0
	}
	s.intent += capped(by(ofType(lead.ActivityWebinarAttended)), 10, 3)
	s.intent += capped(by(ofType(lead.ActivityContentDownload)), 5, 3)
	if len(by(ofType(lead.ActivityUnsubscribe))) > 0 {
		s.intent -= 10
	}
	if len(by(ofType(lead.ActivityEmailBounce))) > 0 {
		s.intent -= 15
	}
	s.total = s.fit + s.intent
	return s
}

// containsPath reports whether the path of url (no scheme, host or query)
// contains part.
func containsPath(url, part string) bool {
	path := url
	if i := indexOf(path, "://"); i >= 0 {
		path = path[i+3:]
		if j := indexOf(path, "/"); j >= 0 {
			path = path[j:]
		} else {
			path = "/"
		}
	}
	if i := indexOf(path, "?"); i >= 0 {
		path = path[:i]
	}
	return indexOf(path, part) >= 0
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// stageOf is the stage thresholds of SPEC §5 reach from a new lead.
func stageOf(s points) lead.Stage {
	switch {
	case s.fit >= 15 && (s.total >= 80 || s.demo):
		return lead.StageSQL
	case s.total >= 60:
		return lead.StageMQL
	case s.total >= 20 && s.intent > 0:
		return lead.StageEngaged
	}
	return lead.StageNew
}
