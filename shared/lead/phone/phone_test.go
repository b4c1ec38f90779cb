package phone_test

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/internal/repotest"
	"github.com/leadflow/leadflow/shared/lead/phone"
)

func readData(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(repotest.SharedData(t, "libphonenumber_examples_mobile.json"))
	if err != nil {
		t.Fatalf("read reference data: %v", err)
	}
	return b
}

func TestE164(t *testing.T) {
	tests := []struct{ phone, region, want string }{
		{"020 7946 0958", "GB", "+442079460958"},
		{"+44 20 7946 0958", "US", "+442079460958"},
		{"(201) 555-0123", "US", "+12015550123"},
		{"201-555-0123", "", "201-555-0123"},
		{"+1 201 555 0123 ext. 12", "US", "+1 201 555 0123 ext. 12"},
		{"12", "US", "12"},
		{" not a phone ", "US", "not a phone"},
		{"0151 12345678", "XX", "0151 12345678"},
		{"030 901820", "DE", "+4930901820"},
		{" +49 30 901820 ", "", "+4930901820"},
		{"", "US", ""},
	}
	for _, tc := range tests {
		t.Run(tc.phone+"/"+tc.region, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, phone.E164(tc.phone, tc.region)); diff != "" {
				t.Errorf("E164(%q, %q) (-want +got):\n%s", tc.phone, tc.region, diff)
			}
		})
	}
}

// TestE164Examples formats libphonenumber-js's example mobile
// number of every region, given in national format, with the region as the
// lead's country. The example file and the Go metadata are not the same
// release, so a few numbering-plan changes (Mexico's dropped mobile 1,
// Côte d'Ivoire's move to ten digits) make examples invalid here: those must
// come back unchanged, and they must stay rare.
func TestE164Examples(t *testing.T) {
	var examples map[string]string
	if err := json.Unmarshal(readData(t), &examples); err != nil {
		t.Fatalf("parse examples: %v", err)
	}
	if len(examples) < 200 {
		t.Fatalf("only %d examples", len(examples))
	}
	var kept []string
	for region, national := range examples {
		got := phone.E164(national, region)
		if got == national {
			kept = append(kept, region)
			continue
		}
		if !strings.HasPrefix(got, "+") || strings.Trim(got[1:], "0123456789") != "" {
			t.Errorf("%s %q → %q, want E.164 or unchanged", region, national, got)
			continue
		}
		if again := phone.E164(got, region); again != got {
			t.Errorf("%s: %q normalises again to %q", region, got, again)
		}
	}
	sort.Strings(kept)
	t.Logf("%d of %d example numbers formatted to E.164; kept as given (invalid in this metadata): %v",
		len(examples)-len(kept), len(examples), kept)
	if len(kept)*20 > len(examples) {
		t.Errorf("%d of %d examples not formatted, want under 5%%", len(kept), len(examples))
	}
}
