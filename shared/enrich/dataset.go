package enrich

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/leadflow/leadflow/shared/lead"
)

// dataset is the offline company file: records by registrable domain.
type dataset map[string]record

// columns maps the dataset's column (or JSON key) names to lead fields.
var columns = map[string]string{
	"name":      lead.FieldCompany,
	"company":   lead.FieldCompany,
	"industry":  lead.FieldIndustry,
	"employees": lead.FieldEmployees,
	"country":   lead.FieldCountry,
	"state":     lead.FieldState,
	"website":   lead.FieldWebsite,
	"tech":      fieldTech,
}

// loadDataset reads a company file from fsys: CSV with a header row
// (domain,name,industry,employees,country,state,tech; tech separated by
// ";"), or, for a .json name, an array of objects with the same keys (tech
// may be a list). Other columns are ignored. Returns an EINVALID error
// naming the file and row for an unreadable file, a missing domain column,
// a row whose domain is not a company domain or repeats one, or a value
// that cannot be read.
func loadDataset(fsys fs.FS, name string) (dataset, error) {
	if fsys == nil {
		return nil, lead.Errorf(lead.EINVALID, "dataset %s: no file system to read it from", name)
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, &lead.Error{Code: lead.EINVALID, Message: "dataset " + name + ": cannot read", Err: err}
	}
	d := dataset{}
	add := func(row string, raw map[string]any) error {
		dom, _ := raw["domain"].(string)
		key := lead.AccountKey(dom)
		switch {
		case key == "":
			return lead.Errorf(lead.EINVALID, "dataset %s %s: domain %q is not a company domain", name, row, dom)
		case d[key] != nil:
			return lead.Errorf(lead.EINVALID, "dataset %s %s: domain %s appears twice", name, row, key)
		}
		rec := record{}
		for col, v := range raw {
			f, ok := columns[strings.ToLower(col)]
			if !ok {
				continue
			}
			x, err := coerce(f, v)
			if err != nil {
				return lead.Errorf(lead.EINVALID, "dataset %s %s: %v", name, row, err)
			}
			if x != nil {
				rec[f] = x
			}
		}
		d[key] = rec
		return nil
	}
	if strings.EqualFold(path.Ext(name), ".json") {
		err = readJSONRows(data, add)
	} else {
		err = readCSVRows(data, add)
	}
	if err != nil {
		var coded *lead.Error
		if errors.As(err, &coded) {
			return nil, err
		}
		return nil, &lead.Error{Code: lead.EINVALID, Message: "dataset " + name, Err: err}
	}
	return d, nil
}

func readCSVRows(data []byte, add func(row string, raw map[string]any) error) error {
	r := csv.NewReader(bytes.NewReader(data))
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(header[i]))
	}
	if !slices.Contains(header, "domain") {
		return lead.Errorf(lead.EINVALID, "header has no domain column")
	}
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		line, _ := r.FieldPos(0)
		raw := make(map[string]any, len(row))
		for i, v := range row {
			raw[header[i]] = v
		}
		if err := add(fmt.Sprintf("line %d", line), raw); err != nil {
			return err
		}
	}
}

func readJSONRows(data []byte, add func(row string, raw map[string]any) error) error {
	var rows []map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&rows); err != nil {
		return fmt.Errorf("want a JSON array of company objects: %w", err)
	}
	for i, raw := range rows {
		if err := add(fmt.Sprintf("item %d", i), raw); err != nil {
			return err
		}
	}
	return nil
}

func (d dataset) key(l *lead.Lead) string { return domainOf(l) }

// fetch returns the company's record, empty when the file does not list it.
// It never fails. The record is copied: the provider trims it to its
// fields.
func (d dataset) fetch(_ context.Context, domain string) (record, error) {
	rec := make(record, len(d[domain]))
	for f, v := range d[domain] {
		rec[f] = v
	}
	return rec, nil
}
