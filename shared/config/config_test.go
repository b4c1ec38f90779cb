package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"4h": 4 * time.Hour, "90d": 90 * 24 * time.Hour, "30m": 30 * time.Minute, "0d": 0} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"soon", "-3d", "1.5d", ""} {
		if _, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) succeeded, want an error", in)
		}
	}
}

func TestLoadCompiledRefusesWhatIsNotACompiledConfig(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{"yaml.json": "version: x\n", "empty.json": "{}", "rules-only.json": `{"Rules":{"exprs":[]}}`} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadCompiled(path); lead.ErrorCode(err) != lead.EUNAVAILABLE {
			t.Errorf("%s: %v, want EUNAVAILABLE", name, err)
		}
	}
	if _, err := LoadCompiled(filepath.Join(dir, "absent.json")); lead.ErrorCode(err) != lead.EUNAVAILABLE {
		t.Errorf("absent file: %v, want EUNAVAILABLE", err)
	}
}
