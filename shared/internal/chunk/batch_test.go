package chunk

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplit(t *testing.T) {
	size := func(n int) int { return n }
	tests := []struct {
		name    string
		entries []int
		want    [][]int
	}{
		{"empty", nil, nil},
		{"count limit", []int{1, 1, 1, 1, 1}, [][]int{{1, 1}, {1, 1}, {1}}},
		{"size limit", []int{6, 5, 4, 7}, [][]int{{6}, {5, 4}, {7}}},
		{"oversized entry alone", []int{1, 20, 1}, [][]int{{1}, {20}, {1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Split(tc.entries, 2, 10, size)); diff != "" {
				t.Errorf("Split (-want +got):\n%s", diff)
			}
		})
	}
}
