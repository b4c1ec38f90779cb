// Package repotest helps tests find the repository and the reference data
// beside it (../shared/data, outside the repository).
package repotest

import (
	"os"
	"path/filepath"
	"testing"
)

// Root walks up from the working directory to the directory holding go.mod;
// it fails the test when there is none.
func Root(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// SharedData returns the path of a reference data file in ../shared/data.
func SharedData(tb testing.TB, name string) string {
	tb.Helper()
	return filepath.Join(Root(tb), "..", "shared", "data", name)
}
