package configfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
)

// FuzzParse loads arbitrary config files: Parse must never panic, and a
// rejected file must come back as Errors, each with a line in the file.
func FuzzParse(f *testing.F) {
	shipped, err := os.ReadFile(filepath.Join("..", "..", "leadflow.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(shipped)
	f.Add([]byte("version: x\n"))
	f.Add([]byte(""))
	f.Add([]byte("version: 1\nscoring:\n  rules:\n    - code: a\n      layer: fit\n      points: 1\n      when: lead.employees >\n"))
	f.Add([]byte("version: 1\nforms:\n  f:\n    required: [email]\n    field_map: {a: b}\n"))
	f.Add([]byte("version: 1\nrouting:\n  teams:\n    - id: t\n      reps: [r]\n  reps:\n    - {id: r, hours: \"25:00-26:00\", time_zone: Nowhere/City}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("version: [1, {2: 3}]\nunknown_key: true\n"))
	f.Add([]byte("\t- not yaml\n:"))
	f.Add([]byte("version: 1\nenrichment:\n  providers:\n    - name: d\n      type: dataset\n      file: ../../../../etc/passwd\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := configfile.Parse("fuzz.yaml", data, celrules.Compile)
		if err == nil {
			if c == nil {
				t.Fatal("Parse returned neither a config nor an error")
			}
			return
		}
		var errs config.Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("Parse error %T %v is not a non-empty config.Errors", err, err)
		}
		for _, e := range errs {
			if e.Line < 0 || e.Message == "" {
				t.Errorf("error without a line or message: %+v", e)
			}
		}
	})
}
