package main

import (
	"strings"
	"testing"
)

// TestReadRowsRefusesMalformedCSV holds the crashers FuzzReadRows found:
// readRows asked the CSV reader for a field position after a failed read,
// which panics, so a malformed file crashed `leadflow import`.
func TestReadRowsRefusesMalformedCSV(t *testing.T) {
	tests := []struct{ name, csv, wantErr string }{
		{"unterminated quote", "email\n\"unterminated\n", "extraneous or missing \" in quoted-field"},
		{"quote inside a bare field", "email\na\"b@example.com\n", "bare \" in non-quoted-field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := readRows(strings.NewReader(tc.csv))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("readRows = %v rows, error %v; want an error saying %q", len(rows), err, tc.wantErr)
			}
		})
	}
}
