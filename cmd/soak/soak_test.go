package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

// TestSoakSmall runs the whole soak, faults and redrive included, on a few
// hundred leads: the invariants of `make soak` on every `make test`.
func TestSoakSmall(t *testing.T) {
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"-leads", "300", "-timeout", "3m", "-seed", "11"}, &out, &errs)
	if code != 0 {
		t.Fatalf("soak exited %d\n%s\n%s", code, out.String(), errs.String())
	}
	for _, want := range []string{`accepted \(202\) +│ +300 │`, `lost +│ +0 │`, `nurture touches +│ +[1-9]`, "all invariants hold"} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSoakRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-faults", "store=2"}, {"-leads", "0"}, {"-workers", "-1"}, {"-nope"}} {
		var out, errs bytes.Buffer
		if code := run(context.Background(), args, &out, &errs); code != 2 {
			t.Errorf("run(%v) = %d, want 2", args, code)
		}
	}
}

func TestReferenceScore(t *testing.T) {
	icp := profile{icpTitle: true, employees: 500, industry: "software"}
	ev := func(typ lead.ActivityType, days float64, url string) event {
		return event{typ: typ, age: time.Duration(days * float64(day)), url: url}
	}
	demo := event{typ: lead.ActivityFormSubmit, form: "demo-request"}
	tests := []struct {
		name  string
		p     profile
		acts  []event
		want  points
		stage lead.Stage
	}{
		{"fit only", icp, nil, points{total: 25, fit: 25}, lead.StageNew},
		{"free mail out of coverage", profile{nonBizMail: true, industry: "retail", employees: 10}, nil, points{total: -30, fit: -30}, lead.StageNew},
		{"unknown industry is no penalty", profile{employees: 5001}, nil, points{}, lead.StageNew},
		{"click 40 days old counts half", profile{}, []event{ev(lead.ActivityEmailClick, 40, "")}, points{total: 2.5, intent: 2.5}, lead.StageNew},
		{"quarter at 60 days, nothing at 90", profile{}, []event{ev(lead.ActivityWebinarAttended, 61, ""), ev(lead.ActivityWebinarAttended, 90, "")}, points{total: 2.5, intent: 2.5}, lead.StageNew},
		{"opens capped at the 5 most recent", profile{}, []event{
			ev(lead.ActivityEmailOpen, 1, ""), ev(lead.ActivityEmailOpen, 2, ""), ev(lead.ActivityEmailOpen, 3, ""),
			ev(lead.ActivityEmailOpen, 4, ""), ev(lead.ActivityEmailOpen, 35, ""), ev(lead.ActivityEmailOpen, 5, ""),
		}, points{total: 10, intent: 10}, lead.StageNew},
		{"pricing once, most recent", profile{}, []event{ev(lead.ActivityPageView, 40, "https://x.example/pricing"), ev(lead.ActivityPageView, 1, "https://x.example/en/pricing?a=1")}, points{total: 10, intent: 10}, lead.StageNew},
		{"pricing in the query does not count", profile{}, []event{ev(lead.ActivityPageView, 1, "https://x.example/?next=/pricing")}, points{}, lead.StageNew},
		{"one demo page is not a repeat", profile{}, []event{ev(lead.ActivityPageView, 1, "https://x.example/demo")}, points{}, lead.StageNew},
		{"demo repeat decays with the second most recent", profile{}, []event{ev(lead.ActivityPageView, 1, "https://x.example/demo"), ev(lead.ActivityPageView, 31, "https://x.example/demo")}, points{total: 10, intent: 10}, lead.StageNew},
		{"demo request fast-tracks with fit", icp, []event{demo}, points{total: 55, fit: 25, intent: 30, demo: true}, lead.StageSQL},
		{"demo request without fit is engaged", profile{}, []event{demo}, points{total: 30, intent: 30, demo: true}, lead.StageEngaged},
		{"negatives do not decay", profile{}, []event{ev(lead.ActivityUnsubscribe, 45, ""), ev(lead.ActivityEmailBounce, 45, "")}, points{total: -25, intent: -25}, lead.StageNew},
		{"mql", profile{}, []event{
			ev(lead.ActivityWebinarAttended, 1, ""), ev(lead.ActivityWebinarAttended, 2, ""), ev(lead.ActivityWebinarAttended, 3, ""),
			ev(lead.ActivityPageView, 1, "/pricing"), ev(lead.ActivityContentDownload, 1, ""), ev(lead.ActivityContentDownload, 2, ""), ev(lead.ActivityContentDownload, 3, ""),
			ev(lead.ActivityEmailClick, 1, ""),
		}, points{total: 60, intent: 60}, lead.StageMQL},
		{"75 with fit 15 stays mql", profile{icpTitle: true}, []event{
			ev(lead.ActivityWebinarAttended, 1, ""), ev(lead.ActivityWebinarAttended, 2, ""), ev(lead.ActivityWebinarAttended, 3, ""),
			ev(lead.ActivityPageView, 1, "/pricing"), ev(lead.ActivityContentDownload, 1, ""), ev(lead.ActivityContentDownload, 2, ""), ev(lead.ActivityContentDownload, 3, ""),
			ev(lead.ActivityEmailClick, 1, ""),
		}, points{total: 75, fit: 15, intent: 60}, lead.StageMQL},
		{"80 with fit 15 is sql", profile{icpTitle: true}, []event{
			ev(lead.ActivityWebinarAttended, 1, ""), ev(lead.ActivityWebinarAttended, 2, ""), ev(lead.ActivityWebinarAttended, 3, ""),
			ev(lead.ActivityPageView, 1, "/pricing"), ev(lead.ActivityContentDownload, 1, ""), ev(lead.ActivityContentDownload, 2, ""), ev(lead.ActivityContentDownload, 3, ""),
			ev(lead.ActivityEmailClick, 1, ""), ev(lead.ActivityEmailClick, 2, ""),
		}, points{total: 80, fit: 15, intent: 65}, lead.StageSQL},
		{"80 without fit is mql", profile{}, []event{
			ev(lead.ActivityWebinarAttended, 1, ""), ev(lead.ActivityWebinarAttended, 2, ""), ev(lead.ActivityWebinarAttended, 3, ""),
			ev(lead.ActivityPageView, 1, "/pricing"), ev(lead.ActivityPageView, 1, "/demo"), ev(lead.ActivityPageView, 2, "/demo"),
		}, points{total: 60, intent: 60}, lead.StageMQL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := score(tc.p, tc.acts)
			if got != tc.want {
				t.Errorf("score = %+v, want %+v", got, tc.want)
			}
			if s := stageOf(got); s != tc.stage {
				t.Errorf("stage = %s, want %s", s, tc.stage)
			}
		})
	}
}

func TestPlansAreDeterministicAndVaried(t *testing.T) {
	a, b := makePlans(500, 3), makePlans(500, 3)
	stages := map[lead.Stage]int{}
	for i := range a {
		if a[i].fields["email"] != b[i].fields["email"] || a[i].want != b[i].want || len(a[i].positives) != len(b[i].positives) {
			t.Fatalf("plan %d differs between two runs with one seed", i)
		}
		stages[a[i].want.stage]++
	}
	for _, st := range []lead.Stage{lead.StageNew, lead.StageEngaged, lead.StageSQL, lead.StageSAL} {
		if stages[st] == 0 {
			t.Errorf("no plan ends in %s: %v", st, stages)
		}
	}
}
