package enrich

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHeuristics(t *testing.T) {
	tests := []struct {
		email   string
		wantKey string
		want    record
	}{
		{"jane@northwind-analytics.com", "northwind-analytics.com", record{"company": "Northwind Analytics", "website": "https://northwind-analytics.com"}},
		{"jane@mail.acme.de", "acme.de", record{"company": "Acme", "website": "https://acme.de", "country": "DE"}},
		{"jane@acme.co.uk", "acme.co.uk", record{"company": "Acme", "website": "https://acme.co.uk", "country": "GB"}},
		{"jane@acme.com.au", "acme.com.au", record{"company": "Acme", "website": "https://acme.com.au", "country": "AU"}},
		{"jane@startup.io", "startup.io", record{"company": "Startup", "website": "https://startup.io"}},
		{"jane@acme.eu", "acme.eu", record{"company": "Acme", "website": "https://acme.eu"}},
		{"jane@xn--mller-kva.de", "xn--mller-kva.de", record{"website": "https://xn--mller-kva.de", "country": "DE"}},
		{"jane@gmail.com", "", nil},
		{"jane@web.de", "", nil},
		{"jane@mailinator.com", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.email, func(t *testing.T) {
			key := heuristics{}.key(byEmail(t, tc.email))
			if key != tc.wantKey {
				t.Fatalf("key = %q, want %q", key, tc.wantKey)
			}
			if key == "" {
				return
			}
			got, err := heuristics{}.fetch(context.Background(), key)
			if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("record (-want +got):\n%s", d)
			}
		})
	}
}
