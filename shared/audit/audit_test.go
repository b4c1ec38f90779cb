package audit

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }

func scored(score float64, o Outcome, at time.Time) Record {
	return Record{Score: score, HasScore: true, Outcome: o, CreatedAt: at}
}

// TestAUCHandComputed checks the audit's AUC on a fixture worked by hand.
// Won scores 80, 60, 40; lost 50, 40, 20, 10. Won-over-lost pairs: 80 beats
// all four (4), 60 beats all four (4), 40 beats 20 and 10 and ties 40 (2.5):
// 10.5 of 12 pairs = 0.875. Open and unscored leads do not count.
func TestAUCHandComputed(t *testing.T) {
	at := day(2025, 2, 1)
	recs := []Record{
		scored(80, Won, at), scored(60, Won, at), scored(40, Won, at),
		scored(50, Lost, at), scored(40, Lost, at), scored(20, Lost, at), scored(10, Lost, at),
		scored(99, Open, at),
		{Outcome: Lost, CreatedAt: at},
	}
	r, err := New(recs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.AUC == nil || math.Abs(*r.AUC-0.875) > 1e-12 {
		t.Errorf("AUC = %v, want 0.875", r.AUC)
	}
	q := r.Quarters[0]
	if q.Quarter != "2025-Q1" || q.Count != 9 || q.Won.N != 3 || q.Lost.N != 4 || q.Open != 1 {
		t.Errorf("quarter %+v", q)
	}
	if math.Abs(q.Won.Mean-60) > 1e-12 || math.Abs(q.Lost.Mean-30) > 1e-12 || q.Gap == nil || math.Abs(*q.Gap-30) > 1e-12 {
		t.Errorf("won mean %v, lost mean %v, gap %v; want 60, 30, 30", q.Won.Mean, q.Lost.Mean, q.Gap)
	}
	// Default bands: <10, 10-20, …, >=90; 40 falls in 40-50.
	if diff := cmp.Diff([]int{0, 1, 1, 0, 1, 1, 0, 0, 0, 0}, q.Lost.Histogram); diff != "" {
		t.Errorf("lost histogram (-want +got):\n%s", diff)
	}
}

// quarterly builds a quarter whose won leads average won and lost leads
// average lost.
func quarterly(at time.Time, won, lost float64) []Record {
	return []Record{scored(won-2, Won, at), scored(won+2, Won, at), scored(lost+2, Lost, at), scored(lost-2, Lost, at)}
}

func TestDriftWarning(t *testing.T) {
	tests := []struct {
		name     string
		gaps     []float64 // per quarter from 2024-Q1
		warnings int
		changes  []float64
	}{
		{"steady", []float64{30, 30, 30}, 0, []float64{0, 0}},
		{"narrows once then widens", []float64{30, 25, 28, 22}, 0, []float64{-5, 3, -6}},
		{"narrows twice running", []float64{30, 32, 25, 18}, 1, []float64{2, -7, -7}},
		{"narrows three times", []float64{30, 25, 20, 15}, 2, []float64{-5, -5, -5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var recs []Record
			for i, g := range tc.gaps {
				recs = append(recs, quarterly(day(2024+i/4, time.Month(3*(i%4)+1), 10), 50+g, 50)...)
			}
			r, err := New(recs, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var changes []float64
			for _, q := range r.Quarters[1:] {
				changes = append(changes, math.Round(*q.GapChange*1e9)/1e9)
			}
			if diff := cmp.Diff(tc.changes, changes); diff != "" {
				t.Errorf("gap changes (-want +got):\n%s", diff)
			}
			if len(r.Warnings) != tc.warnings {
				t.Fatalf("warnings %q, want %d", r.Warnings, tc.warnings)
			}
			var table bytes.Buffer
			if err := r.WriteTable(&table); err != nil {
				t.Fatal(err)
			}
			if got := strings.Count(table.String(), "WARNING: score drift"); got != tc.warnings {
				t.Errorf("table prints %d drift warnings, want %d:\n%s", got, tc.warnings, table.String())
			}
		})
	}
}

func TestDriftNamesQuarters(t *testing.T) {
	var recs []Record
	for i, g := range []float64{30, 20, 10} {
		recs = append(recs, quarterly(day(2025, time.Month(3*i+1), 5), 50+g, 50)...)
	}
	r, err := New(recs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"score drift: the won-lost score gap narrowed two quarters running (2025-Q1 30.0, 2025-Q2 20.0, 2025-Q3 10.0); review the scoring rules"}
	if diff := cmp.Diff(want, r.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestConversionSpeedAndSLA(t *testing.T) {
	at := day(2025, 5, 1)
	recs := []Record{
		{Source: "google", Outcome: Won, Stage: "customer", Score: 85, HasScore: true, CreatedAt: at, SpeedToLead: 30 * time.Second, HasSpeedToLead: true, SLATracked: true},
		{Source: "google", Outcome: Lost, Stage: "closed_lost", Score: 15, HasScore: true, CreatedAt: at, SpeedToLead: 10 * time.Second, HasSpeedToLead: true, SLATracked: true, SLABreached: true},
		{Source: "google", Outcome: Open, Stage: "mql", Score: 55, HasScore: true, CreatedAt: at, SpeedToLead: 20 * time.Second, HasSpeedToLead: true},
		{Source: "referral", Outcome: Won, Stage: "customer", Score: 88, HasScore: true, SpeedToLead: 4 * time.Minute, HasSpeedToLead: true, SLATracked: true},
		{Outcome: Lost, Stage: "Negotiation"},
	}
	r, err := New(recs, Options{Bands: []float64{50, 80}})
	if err != nil {
		t.Fatal(err)
	}
	wantSource := []Conversion{
		{Group: "google", Leads: 3, Won: 1, Lost: 1, Open: 1, Conversion: 1.0 / 3, WinRate: 0.5},
		{Group: "(unknown)", Leads: 1, Lost: 1, WinRate: 0},
		{Group: "referral", Leads: 1, Won: 1, Conversion: 1, WinRate: 1},
	}
	if diff := cmp.Diff(wantSource, r.BySource); diff != "" {
		t.Errorf("by source (-want +got):\n%s", diff)
	}
	wantBand := []Conversion{
		{Group: "<50", Leads: 1, Lost: 1},
		{Group: "50-80", Leads: 1, Open: 1},
		{Group: ">=80", Leads: 2, Won: 2, Conversion: 1, WinRate: 1},
	}
	if diff := cmp.Diff(wantBand, r.ByBand); diff != "" {
		t.Errorf("by band (-want +got):\n%s", diff)
	}
	wantSpeed := Percentiles{N: 4, P50: 20 * time.Second, P90: 4 * time.Minute, P99: 4 * time.Minute}
	if diff := cmp.Diff(wantSpeed, r.SpeedToLead); diff != "" {
		t.Errorf("speed to lead (-want +got):\n%s", diff)
	}
	wantStages := []StageCount{{"mql", 1}, {"customer", 2}, {"closed_lost", 1}, {"Negotiation", 1}}
	if diff := cmp.Diff(wantStages, r.Stages); diff != "" {
		t.Errorf("stages (-want +got):\n%s", diff)
	}
	if r.SLATracked != 3 || math.Abs(r.SLABreachRate-1.0/3) > 1e-12 {
		t.Errorf("SLA %d tracked, breach rate %v; want 3 and 1/3", r.SLATracked, r.SLABreachRate)
	}
	if got := r.Quarters[len(r.Quarters)-1].Quarter; got != Undated {
		t.Errorf("last quarter %q, want %q", got, Undated)
	}

	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		SpeedToLead map[string]float64 `json:"speed_to_lead"`
		ByBand      []Conversion       `json:"by_score_band"`
	}
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]float64{"n": 4, "p50_seconds": 20, "p90_seconds": 240, "p99_seconds": 240}, decoded.SpeedToLead); diff != "" {
		t.Errorf("speed_to_lead JSON (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantBand, decoded.ByBand); diff != "" {
		t.Errorf("by_score_band JSON (-want +got):\n%s", diff)
	}
}

func TestBadBands(t *testing.T) {
	for _, bands := range [][]float64{{10, 10}, {20, 10}, {math.NaN()}} {
		if _, err := New(nil, Options{Bands: bands}); err == nil {
			t.Errorf("bands %v accepted", bands)
		}
	}
}

func TestTableCleansControlCharacters(t *testing.T) {
	r, err := New([]Record{{Source: "evil\x1b[31m\tsource\n", Outcome: Won}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\t") || !strings.Contains(b.String(), "evil [31m source") {
		t.Errorf("control characters not cleaned:\n%q", b.String())
	}
}

// wellFormed decodes every token of an SVG document and returns the text of
// its <text> elements.
func wellFormed(t *testing.T, svg []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var texts []string
	inText := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return texts
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inText = tok.Name.Local == "text"
		case xml.CharData:
			if inText {
				texts = append(texts, string(tok))
			}
		case xml.EndElement:
			inText = false
		}
	}
}

func TestWriteSVG(t *testing.T) {
	var recs []Record
	for i, g := range []float64{30, 20, 10, 5} {
		recs = append(recs, quarterly(day(2025, time.Month(3*i+1), 5), 50+g, 50)...)
	}
	recs = append(recs, scored(5, Lost, time.Time{}), scored(95, Won, time.Time{}))
	r, err := New(recs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	texts := strings.Join(wellFormed(t, b.Bytes()), "|")
	for _, want := range []string{"closed-won", "closed-lost", "2025-Q1", "2025-Q4", Undated, "share of leads", "score"} {
		if !strings.Contains(texts, want) {
			t.Errorf("SVG text lacks %q: %s", want, texts)
		}
	}
	// Band labels such as "<10" reach the bar tooltips escaped.
	if !strings.Contains(b.String(), "&lt;10") {
		t.Errorf("SVG does not escape the band label <10")
	}

	var empty bytes.Buffer
	er, _ := New(nil, Options{})
	if err := er.WriteSVG(&empty); err != nil {
		t.Fatal(err)
	}
	if texts := wellFormed(t, empty.Bytes()); !strings.Contains(strings.Join(texts, "|"), "no scored won or lost leads") {
		t.Errorf("empty chart texts %q", texts)
	}
}
