package audit

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
)

// MarshalJSON writes the percentiles in seconds.
func (p Percentiles) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		N   int     `json:"n"`
		P50 float64 `json:"p50_seconds"`
		P90 float64 `json:"p90_seconds"`
		P99 float64 `json:"p99_seconds"`
	}{p.N, p.P50.Seconds(), p.P90.Seconds(), p.P99.Seconds()})
}

// clean makes a value from the data safe for a terminal table: control
// characters (tabs, newlines, escape sequences) would break the alignment or
// drive the terminal.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func optional(f *float64, format string) string {
	if f == nil {
		return "-"
	}
	return fmt.Sprintf(format, *f)
}

func mean(s ScoreStats) string {
	if s.N == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", s.Mean)
}

// WriteTable writes the report as aligned text tables. It returns the first
// write error.
func (r *Report) WriteTable(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Closed-loop audit: %d leads, score AUC %s\n", r.Leads, optional(r.AUC, "%.3f"))
	for _, warn := range r.Warnings {
		fmt.Fprintf(&b, "WARNING: %s\n", clean(warn))
	}

	fmt.Fprintln(&b, "\nScore at decision time, closed-won vs closed-lost, per quarter")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "quarter\tleads\twon\tmean won\tlost\tmean lost\topen\tgap\tchange\tAUC\tSLA breached\t")
	for _, q := range r.Quarters {
		sla := "-"
		if q.SLATracked > 0 {
			sla = fmt.Sprintf("%d/%d", q.SLABreached, q.SLATracked)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t\n", q.Quarter, q.Count, q.Won.N, mean(q.Won), q.Lost.N, mean(q.Lost), q.Open,
			optional(q.Gap, "%+.1f"), optional(q.GapChange, "%+.1f"), optional(q.AUC, "%.3f"), sla)
	}
	tw.Flush()

	for _, t := range []struct {
		title, group string
		rows         []Conversion
	}{{"Conversion by source", "source", r.BySource}, {"Conversion by score band", "score", r.ByBand}} {
		fmt.Fprintf(&b, "\n%s\n", t.title)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "%s\tleads\twon\tlost\topen\tconversion\twin rate\t\n", t.group)
		for _, c := range t.rows {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f%%\t%.1f%%\t\n", clean(c.Group), c.Leads, c.Won, c.Lost, c.Open, 100*c.Conversion, 100*c.WinRate)
		}
		tw.Flush()
	}

	if len(r.Stages) > 0 {
		fmt.Fprintln(&b, "\nLeads by stage")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "stage\tleads\t")
		for _, st := range r.Stages {
			fmt.Fprintf(tw, "%s\t%d\t\n", clean(st.Stage), st.Leads)
		}
		tw.Flush()
	}

	s := r.SpeedToLead
	fmt.Fprintf(&b, "\nSpeed to lead (%d leads): p50 %s  p90 %s  p99 %s\n", s.N, s.P50.Round(time.Second), s.P90.Round(time.Second), s.P99.Round(time.Second))
	fmt.Fprintf(&b, "SLA breach rate: %.1f%% of %d leads with an SLA\n", 100*r.SLABreachRate, r.SLATracked)
	_, err := w.Write(b.Bytes())
	return err
}

// esc escapes text for SVG content and attribute values.
func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) // writes to a strings.Builder, which cannot fail
	return b.String()
}

// Chart geometry, in SVG user units.
const (
	panelW, panelH = 320, 210
	plotL, plotR   = 46, 10 // margins inside a panel
	plotT, plotB   = 28, 40
	columns        = 3
	headerH        = 56
	wonColour      = "#2e7d32"
	lostColour     = "#c62828"
)

// WriteSVG draws the won and lost score distributions as small multiples,
// one panel per quarter with scored outcomes: side-by-side bars of the share
// of each outcome's leads per score band, on one y scale across panels so
// that quarters compare at a glance. It returns the first write error.
func (r *Report) WriteSVG(w io.Writer) error {
	var panels []Quarter
	maxShare := 0.0
	for _, q := range r.Quarters {
		if q.Won.N+q.Lost.N == 0 {
			continue
		}
		panels = append(panels, q)
		for _, s := range []ScoreStats{q.Won, q.Lost} {
			for _, c := range s.Histogram {
				if s.N > 0 {
					maxShare = max(maxShare, float64(c)/float64(s.N))
				}
			}
		}
	}
	if maxShare == 0 {
		maxShare = 1
	}
	// Round the scale up to a whole 10% so the ticks read cleanly.
	maxShare = float64(int(maxShare*10+0.999)) / 10

	cols := min(columns, max(len(panels), 1))
	rows := (len(panels) + cols - 1) / cols
	width, height := cols*panelW, headerH+max(rows, 1)*panelH
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="10">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<title>%s</title>`+"\n", esc("Score at decision time: closed-won vs closed-lost per quarter"))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="10" y="20" font-size="14" font-weight="bold">%s</text>`+"\n", esc(fmt.Sprintf("Score at decision time, closed-won vs closed-lost (%d leads, AUC %s)", r.Leads, optional(r.AUC, "%.3f"))))
	// Legend.
	fmt.Fprintf(&b, `<rect x="10" y="32" width="12" height="12" fill="%s"/><text x="26" y="42">%s</text>`+"\n", wonColour, esc("closed-won"))
	fmt.Fprintf(&b, `<rect x="100" y="32" width="12" height="12" fill="%s"/><text x="116" y="42">%s</text>`+"\n", lostColour, esc("closed-lost"))
	if len(panels) == 0 {
		fmt.Fprintf(&b, `<text x="10" y="%d">%s</text>`+"\n", headerH+20, esc("no scored won or lost leads"))
	}
	for i, q := range panels {
		r.panel(&b, q, headerH+(i/cols)*panelH, (i%cols)*panelW, maxShare)
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// panel draws one quarter with its top-left corner at (x0, y0).
func (r *Report) panel(b *bytes.Buffer, q Quarter, y0, x0 int, maxShare float64) {
	left, top := float64(x0+plotL), float64(y0+plotT)
	pw, ph := float64(panelW-plotL-plotR), float64(panelH-plotT-plotB)
	bottom := top + ph
	title := fmt.Sprintf("%s  gap %s  AUC %s  (won %d, lost %d)", q.Quarter, optional(q.Gap, "%+.1f"), optional(q.AUC, "%.2f"), q.Won.N, q.Lost.N)
	fmt.Fprintf(b, `<g><text x="%d" y="%.1f" font-weight="bold">%s</text>`+"\n", x0+8, top-10, esc(title))
	// Y axis with ticks at 0, half and full scale.
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`+"\n", left, top, left, bottom)
	for _, f := range []float64{0, 0.5, 1} {
		y := bottom - f*ph
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`, left, y, left+pw, y)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-4, y+3, esc(fmt.Sprintf("%.0f%%", 100*f*maxShare)))
	}
	fmt.Fprintf(b, `<text transform="translate(%.1f %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", left-34, top+ph/2, esc("share of leads"))
	// Bars: won then lost within each band.
	n := len(r.Bands)
	bw := pw / float64(n)
	for i := range n {
		for k, s := range []ScoreStats{q.Won, q.Lost} {
			if s.N == 0 || s.Histogram[i] == 0 {
				continue
			}
			share := float64(s.Histogram[i]) / float64(s.N)
			h := share / maxShare * ph
			colour := wonColour
			if k == 1 {
				colour = lostColour
			}
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`+"\n",
				left+float64(i)*bw+1+float64(k)*(bw-2)/2, bottom-h, (bw-2)/2, h, colour,
				esc(fmt.Sprintf("%s %s: %.1f%%", []string{"won", "lost"}[k], r.Bands[i], 100*share)))
		}
	}
	// X axis: the band edges sit on the boundaries between bars.
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`+"\n", left, bottom, left+pw, bottom)
	for i, e := range r.edges {
		x := left + float64(i+1)*bw
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/><text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n",
			x, bottom, x, bottom+3, x, bottom+13, esc(fmt.Sprintf("%g", e)))
	}
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text></g>`+"\n", left+pw/2, bottom+28, esc("score"))
}
