package replay_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/history"
	"github.com/leadflow/leadflow/shared/history/mappingfile"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/replay"
)

const historyMapping = `id: {column: id}
created_at: {column: created, layout: "2006-01-02"}
outcome: {column: result, won: [won], lost: [lost], open: [open]}
source: {column: source}
fields:
  size: {column: employees, as: employees}
  country: {column: country, as: country}
  persona: {column: job, as: persona}
signals:
  visits: {column: visits}
  email_open: {column: opens}
score: {column: score}
stage: {column: stage}
speed_to_lead: {column: speed, unit: minutes}
sla_breached: {column: breached}
`

func readHistory(t *testing.T, csv string) *history.Dataset {
	t.Helper()
	m, err := mappingfile.Parse("m.yaml", []byte(historyMapping))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := history.Read(strings.NewReader(csv), "h.csv", m)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

const historyHeader = "id,created,result,source,employees,country,job,visits,opens,score,stage,speed,breached\n"

func TestFromHistory(t *testing.T) {
	ds := readHistory(t, historyHeader+
		"a,2025-01-10,won,Partner,200,India,Student,2,1,71,,30,no\n"+
		"b,2025-02-11,lost,Ads,,DE,,0,0,12,,,yes\n"+
		"c,2025-03-12,open,Ads,50,,,1,0,,mql,,\n")
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	items, err := replay.FromHistory(ds, replay.ImportOptions{Activities: map[string]lead.ActivityType{"visits": lead.ActivityPageView}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Stage           lead.Stage
		Outcome, Source string
		Country         string
		Employees       int
		Extras          map[string]string
		Score           float64
		Created, Routed time.Time
		Acts            []lead.ActivityType
		SLA             string
	}
	var got []row
	for _, it := range items {
		l := it.Lead
		r := row{Stage: l.Stage, Outcome: l.Outcome, Source: l.Source, Country: l.Country, Employees: l.Employees, Extras: l.Extras, Score: l.Score.Total, Created: l.CreatedAt, Routed: l.RoutedAt}
		for _, a := range it.Activities {
			r.Acts = append(r.Acts, a.Type)
		}
		for _, c := range l.History {
			if c.Kind == "sla" {
				r.SLA = c.To
			}
		}
		if !strings.HasSuffix(l.Email, "@"+replay.HistoryEmailDomain) || l.Domain != "" {
			t.Errorf("lead %s: email %q, domain %q; want a placeholder and no account", l.ID, l.Email, l.Domain)
		}
		got = append(got, r)
	}
	day := func(m time.Month, d int) time.Time { return time.Date(2025, m, d, 0, 0, 0, 0, time.UTC) }
	want := []row{
		{Stage: lead.StageCustomer, Outcome: "closed_won", Source: "Partner", Country: "IN", Employees: 200, Extras: map[string]string{"raw_country": "India", "persona": "Student", "size": "200", "source": "Partner"}, Score: 71, Created: day(1, 10), Routed: day(1, 10).Add(30 * time.Minute), Acts: []lead.ActivityType{lead.ActivityEmailOpen, lead.ActivityPageView, lead.ActivityPageView}, SLA: "met"},
		{Stage: lead.StageClosedLost, Outcome: "closed_lost", Source: "Ads", Country: "DE", Extras: map[string]string{"raw_country": "DE", "source": "Ads"}, Score: 12, Created: day(2, 11), SLA: "breached"},
		{Stage: lead.StageMQL, Source: "Ads", Employees: 50, Extras: map[string]string{"size": "50", "source": "Ads"}, Created: day(3, 12), Acts: []lead.ActivityType{lead.ActivityPageView}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("imported leads (-want +got):\n%s", diff)
	}

	again, err := replay.FromHistory(ds, replay.ImportOptions{Activities: map[string]lead.ActivityType{"visits": lead.ActivityPageView}, Now: now.Add(time.Hour)})
	if err != nil || again[0].Lead.ID != items[0].Lead.ID {
		t.Errorf("a second conversion gives id %s (%v), want the same %s", again[0].Lead.ID, err, items[0].Lead.ID)
	}
	st := storeOf(t, items, 4)
	res, err := replay.Import(context.Background(), st, again, 4)
	if err != nil || res.Created != 0 || res.Existing != 3 || res.Activities != 0 {
		t.Errorf("re-import: %+v, %v; want all 3 existing, nothing new", res, err)
	}
}

func TestFromHistoryErrorsNameRowAndColumn(t *testing.T) {
	ds := readHistory(t, historyHeader+
		"a,2025-01-10,won,Partner,lots,IN,Student,2,1,71,,30,no\n"+
		"b,2025-01-10,won,Partner,20,IN,"+strings.Repeat("x", lead.MaxFieldBytes+1)+",2,1,71,,30,no\n")
	_, err := replay.FromHistory(ds, replay.ImportOptions{Now: time.Now(), Name: "h.csv"})
	if !lead.IsCode(err, lead.EINVALID) {
		t.Fatalf("error %v, want EINVALID", err)
	}
	for _, want := range []string{`h.csv:2: column "employees": `, `h.csv:3: column "job": `} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	_, err = replay.FromHistory(ds, replay.ImportOptions{Activities: map[string]lead.ActivityType{"visits": "visit"}})
	if !lead.IsCode(err, lead.EINVALID) || !strings.Contains(err.Error(), `"visit" is not an activity type`) {
		t.Errorf("error %v, want EINVALID naming the bad type", err)
	}
}
