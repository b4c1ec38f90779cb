package history

import (
	"strings"
	"testing"
)

func TestReadCapsRowErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("result\n")
	for range maxRowErrors + 5 {
		b.WriteString("bad\n")
	}
	_, err := Read(strings.NewReader(b.String()), "h.csv", &Mapping{Outcome: OutcomeMapping{Column: Column{Name: "result"}, Won: []string{"w"}, Lost: []string{"l"}}})
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxRowErrors+1 || lines[len(lines)-1] != "h.csv: and 5 more row errors" {
		t.Errorf("got %d lines ending %q", len(lines), lines[len(lines)-1])
	}
}
