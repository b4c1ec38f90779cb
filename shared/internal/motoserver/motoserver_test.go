package motoserver

import (
	"net/http"
	"strings"
	"testing"
)

func TestStart(t *testing.T) {
	endpoint := Start(t)
	resp, err := http.Get(endpoint + "/moto-api/data.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /moto-api/data.json: status %d", resp.StatusCode)
	}
}

// outcome records how Start treated tb instead of stopping the test.
type outcome struct {
	testing.TB
	fatal, skip string
}

func (o *outcome) Helper()                           {}
func (o *outcome) Fatalf(format string, args ...any) { o.fatal = format }
func (o *outcome) Skipf(format string, args ...any)  { o.skip = format }

func TestMissingMoto(t *testing.T) {
	tests := []struct {
		ci        string
		wantFatal bool
	}{
		{"true", true},
		{"", false},
	}
	for _, tc := range tests {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir()) // no python3
			t.Setenv("CI", tc.ci)
			o := &outcome{TB: t}
			if got := Start(o); got != "" {
				t.Errorf("Start = %q without moto, want empty", got)
			}
			if fatal := o.fatal != ""; fatal != tc.wantFatal || (o.skip != "") == tc.wantFatal {
				t.Errorf("fatal %q, skip %q; want fatal=%t", o.fatal, o.skip, tc.wantFatal)
			}
			if msg := o.fatal + o.skip; !strings.Contains(msg, "moto") {
				t.Errorf("message %q does not name moto", msg)
			}
		})
	}
}
