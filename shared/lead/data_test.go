package lead

import (
	"os"
	"path/filepath"
	"testing"
)

// dataPath returns the path of a reference data file in shared/data, which
// sits next to the repository: <repo>/../shared/data/name.
func dataPath(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "data", name)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the test directory")
		}
		dir = parent
	}
}

// readData reads a reference data file, failing the test when it is missing.
func readData(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(dataPath(t, name))
	if err != nil {
		t.Fatalf("read reference data: %v", err)
	}
	return b
}
