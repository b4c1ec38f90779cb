package history

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

// Features are a lead's model inputs by feature name. An absent key means the
// value is missing; the model encodes that explicitly rather than as zero.
type Features struct {
	Numeric     map[string]float64 `json:"numeric,omitempty"`
	Categorical map[string]string  `json:"categorical,omitempty"`
}

// Record is one historical lead.
type Record struct {
	Line      int               // line of the row in the CSV file
	ID        string            // empty when the mapping has no id column
	Source    string            // lead source, empty when missing
	Lead      map[string]string // lead fields by role (persona, country, …)
	Features  Features
	Outcome   Outcome
	CreatedAt time.Time // zero when unmapped or missing

	// Closed-loop audit columns, when mapped.
	Score          float64 // score at decision time
	HasScore       bool
	Stage          string
	SpeedToLead    time.Duration
	HasSpeedToLead bool
	HasSLA         bool // the SLA column held a value
	SLABreached    bool
}

// Dataset is an imported history file.
type Dataset struct {
	Mapping *Mapping
	Records []Record
	SHA256  string // hex sha256 of the CSV bytes: identifies the training data
}

// Closed reports the records with a won or lost outcome, the ones a model
// can learn from.
func (d *Dataset) Closed() []Record {
	out := make([]Record, 0, len(d.Records))
	for _, r := range d.Records {
		if r.Outcome != OutcomeOpen {
			out = append(out, r)
		}
	}
	return out
}

// maxRowErrors bounds the error report: past it a broken export would only
// repeat the same problem.
const maxRowErrors = 20

// Load imports the CSV file at csvPath through m (mappingfile.Load reads
// one). It returns an EINVALID error when the mapping does not fit the
// file's header or any row holds a value its column cannot take (each
// problem names the file, line and column); I/O failures are wrapped as they
// come.
func Load(csvPath string, m *Mapping) (*Dataset, error) {
	f, err := os.Open(csvPath)
	if err != nil {
		return nil, fmt.Errorf("open history: %w", err)
	}
	defer f.Close()
	return Read(f, filepath.Base(csvPath), m)
}

// Read imports CSV data from r through m; name is used in error positions.
// Errors are as for Load.
func Read(r io.Reader, name string, m *Mapping) (*Dataset, error) {
	h := sha256.New()
	cr := csv.NewReader(io.TeeReader(r, h))
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, &lead.Error{Code: lead.EINVALID, Field: name, Message: "cannot read the header", Err: err}
	}
	header = slices.Clone(header)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // spreadsheet exports start with a BOM
	}
	if err := m.Check(header); err != nil {
		return nil, err
	}
	rd := newRowReader(m, header, name)
	ds := &Dataset{Mapping: m}
	var errs []error
	extra := 0
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil && !errors.Is(err, csv.ErrFieldCount) {
			return nil, &lead.Error{Code: lead.EINVALID, Field: name, Message: "malformed CSV", Err: err}
		}
		if err != nil {
			rd.fail(line, "", "has %d fields, the header has %d", len(row), len(header))
		} else if rec, ok := rd.record(line, row); ok {
			ds.Records = append(ds.Records, rec)
		}
		for _, e := range rd.errs {
			if len(errs) < maxRowErrors {
				errs = append(errs, e)
			} else {
				extra++
			}
		}
		rd.errs = rd.errs[:0]
	}
	if extra > 0 {
		errs = append(errs, lead.Errorf(lead.EINVALID, "%s: and %d more row errors", name, extra))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	ds.SHA256 = hex.EncodeToString(h.Sum(nil))
	return ds, nil
}

// rowReader turns CSV rows into records, collecting the row's problems.
type rowReader struct {
	m    *Mapping
	name string
	idx  map[string]int
	errs []error
}

func newRowReader(m *Mapping, header []string, name string) *rowReader {
	idx := make(map[string]int, len(header))
	for i, h := range header {
		if _, dup := idx[h]; !dup {
			idx[h] = i
		}
	}
	return &rowReader{m: m, name: name, idx: idx}
}

func (rd *rowReader) fail(line int, column, format string, args ...any) {
	field := fmt.Sprintf("%s:%d", rd.name, line)
	if column != "" {
		field += fmt.Sprintf(": column %q", column)
	}
	rd.errs = append(rd.errs, &lead.Error{Code: lead.EINVALID, Field: field, Message: fmt.Sprintf(format, args...)})
}

// cell returns the trimmed value of column, and false when it is missing.
func (rd *rowReader) cell(row []string, column string) (string, bool) {
	v := strings.TrimSpace(row[rd.idx[column]])
	if rd.m.missing(v) {
		return "", false
	}
	return v, true
}

func (rd *rowReader) number(line int, row []string, column string) (float64, bool) {
	v, ok := rd.cell(row, column)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		rd.fail(line, column, "%q is not a number", v)
		return 0, false
	}
	return f, true
}

func (rd *rowReader) record(line int, row []string) (Record, bool) {
	m := rd.m
	before := len(rd.errs)
	rec := Record{Line: line, Lead: map[string]string{}, Features: Features{Numeric: map[string]float64{}, Categorical: map[string]string{}}}
	if m.ID != nil {
		rec.ID, _ = rd.cell(row, m.ID.Name)
	}
	rec.Outcome = rd.outcome(line, row)
	if m.CreatedAt != nil {
		if v, ok := rd.cell(row, m.CreatedAt.Name); ok {
			t, err := time.Parse(m.TimeLayout, v)
			if err != nil {
				rd.fail(line, m.CreatedAt.Name, "%q is not a time in layout %q", v, m.TimeLayout)
			}
			rec.CreatedAt = t
		}
	}
	if m.Source != nil {
		rec.Source, _ = rd.cell(row, m.Source.Name)
	}
	for _, f := range m.Fields {
		if v, ok := rd.cell(row, f.Column.Name); ok {
			role := f.As
			if role == "" {
				role = f.Name
			}
			rec.Lead[role] = v
		}
	}
	for _, f := range m.Features {
		switch {
		case f.Column == "":
			// An interaction: the model derives it from its parts.
		case f.Kind == Numeric:
			if v, ok := rd.number(line, row, f.Column); ok {
				rec.Features.Numeric[f.Name] = v
			}
		default:
			if v, ok := rd.cell(row, f.Column); ok {
				rec.Features.Categorical[f.Name] = v
			}
		}
	}
	rd.audit(line, row, &rec)
	return rec, len(rd.errs) == before
}

func (rd *rowReader) outcome(line int, row []string) Outcome {
	om := rd.m.Outcome
	v, ok := rd.cell(row, om.Column.Name)
	switch {
	case !ok || slices.Contains(om.Open, v):
		return OutcomeOpen
	case slices.Contains(om.Won, v):
		return OutcomeWon
	case slices.Contains(om.Lost, v):
		return OutcomeLost
	}
	rd.fail(line, om.Column.Name, "%q is not a won, lost or open token", v)
	return OutcomeOpen
}

// audit reads the closed-loop columns.
func (rd *rowReader) audit(line int, row []string, rec *Record) {
	m := rd.m
	if m.Score != nil {
		rec.Score, rec.HasScore = rd.number(line, row, m.Score.Name)
	}
	if m.Stage != nil {
		rec.Stage, _ = rd.cell(row, m.Stage.Name)
	}
	if m.SpeedToLead != nil {
		rec.SpeedToLead, rec.HasSpeedToLead = rd.duration(line, row, m.SpeedToLead.Name)
	}
	if b := m.SLABreached; b != nil {
		if v, ok := rd.cell(row, b.Column.Name); ok {
			rec.HasSLA = true
			switch {
			case slices.ContainsFunc(b.True, func(t string) bool { return strings.EqualFold(t, v) }):
				rec.SLABreached = true
			case !slices.ContainsFunc(b.False, func(t string) bool { return strings.EqualFold(t, v) }):
				rd.fail(line, b.Column.Name, "%q is neither a true nor a false token", v)
			}
		}
	}
}

func (rd *rowReader) duration(line int, row []string, column string) (time.Duration, bool) {
	if rd.m.SpeedUnit == "duration" {
		v, ok := rd.cell(row, column)
		if !ok {
			return 0, false
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			rd.fail(line, column, "%q is not a non-negative duration", v)
			return 0, false
		}
		return d, true
	}
	f, ok := rd.number(line, row, column)
	if !ok {
		return 0, false
	}
	unit := map[DurationUnit]time.Duration{"seconds": time.Second, "minutes": time.Minute, "hours": time.Hour}[rd.m.SpeedUnit]
	if f < 0 || f > float64(math.MaxInt64/unit) {
		rd.fail(line, column, "%v is not a duration in range", f)
		return 0, false
	}
	return time.Duration(f * float64(unit)), true
}
