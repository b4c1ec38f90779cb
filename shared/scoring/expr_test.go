package scoring_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
)

// TestNativeMatchesInterpreter checks that the Go translation of simple
// activity predicates answers exactly as the interpreter does.
func TestNativeMatchesInterpreter(t *testing.T) {
	preds := []string{
		"activity.type == 'page_view' && url_path(activity.url).contains('/pricing')",
		"'form_submit' == activity.type && activity.form == 'demo-request'",
		"activity.type in ['email_open', 'email_click']",
		"activity.url.startsWith('https://docs.') && activity.url.endsWith('.pdf')",
	}
	acts := []lead.Activity{
		{Type: lead.ActivityPageView, URL: "https://x.example/pricing"},
		{Type: lead.ActivityPageView, URL: "https://x.example/blog?next=/pricing"},
		{Type: lead.ActivityPageView, URL: "/pricing#plans"},
		{Type: lead.ActivityPageView, URL: "https://x.example"},
		{Type: lead.ActivityFormSubmit, Form: "demo-request"},
		{Type: lead.ActivityFormSubmit, Form: "contact-us"},
		{Type: lead.ActivityEmailOpen},
		{Type: lead.ActivityEmailClick, URL: "https://docs.example/guide.pdf"},
		{Type: lead.ActivityContentDownload, URL: "https://docs.example/guide.pdf"},
	}
	for _, src := range preds {
		x, errs := celrules.Compile(src, scoring.ScopeActivity)
		if errs != nil {
			t.Fatalf("compile %q: %v", src, errs)
		}
		if !scoring.Native(x) {
			t.Fatalf("%q was not translated to Go", src)
		}
		for i := range acts {
			want, err := scoring.Interpreted(x).Match(nil, nil, &acts[i], time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := x.Match(nil, nil, &acts[i], time.Time{}); got != want {
				t.Errorf("%q on %+v: Go says %v, the interpreter says %v", src, acts[i], got, want)
			}
		}
	}
}

func TestGuardsAndFallback(t *testing.T) {
	tests := []struct {
		src       string
		wantGuard map[lead.ActivityType]bool
		native    bool
	}{
		{"activity.type == 'email_open'", map[lead.ActivityType]bool{"email_open": true}, true},
		{"activity.type in ['a', 'b'] && activity.occurred_at > now - duration('24h')", map[lead.ActivityType]bool{"a": true, "b": true}, false},
		{"activity.url.size() > 3", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			x, errs := celrules.Compile(tc.src, scoring.ScopeActivity)
			if errs != nil {
				t.Fatal(errs)
			}
			if diff := cmp.Diff(tc.wantGuard, scoring.Guard(x)); diff != "" || scoring.Native(x) != tc.native {
				t.Errorf("guard (-want +got):\n%s\nnative %v, want %v", diff, scoring.Native(x), tc.native)
			}
		})
	}
}

func TestURLPath(t *testing.T) {
	for in, want := range map[string]string{
		"https://x.io/demo?a=1": "/demo", "http://x.io": "", "/pricing#top": "/pricing", "x.io/a": "x.io/a", "": "",
	} {
		if got := scoring.URLPath(in); got != want {
			t.Errorf("URLPath(%q) = %q, want %q", in, got, want)
		}
	}
}
