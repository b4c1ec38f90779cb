package enrich

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/lead"
)

func TestDatasetLookup(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		fields map[string]string
		want   record
	}{
		{
			name:   "csv, by the registrable domain of a subdomain address",
			file:   "companies.csv",
			fields: map[string]string{"email": "jane@sales.acme.co.uk"},
			want: record{
				"company": "Acme Widgets", "industry": "Manufacturing", "employees": 1200,
				"country": "GB", "tech": []string{"sap", "aws"},
			},
		},
		{
			name:   "csv, a free-mail lead by its website",
			file:   "companies.csv",
			fields: map[string]string{"email": "dana@gmail.com", "website": "https://www.northwind-analytics.com/about"},
			want: record{
				"company": "Northwind Analytics", "industry": "software", "employees": 250,
				"country": "US", "state": "NY", "tech": []string{"salesforce", "hubspot"},
			},
		},
		{
			name:   "csv, an unlisted company",
			file:   "companies.csv",
			fields: map[string]string{"email": "jane@unlisted-co.com"},
			want:   record{},
		},
		{
			name:   "json, domain given as a URL, tech as a list",
			file:   "companies.json",
			fields: map[string]string{"email": "jane@globex.de"},
			want: record{
				"company": "Globex GmbH", "industry": "software", "employees": 3200,
				"country": "DE", "tech": []string{"sap", "aws"},
			},
		},
		{
			name:   "json, employees as a band",
			file:   "companies.json",
			fields: map[string]string{"email": "jane@initech.com"},
			want:   record{"company": "Initech", "employees": 125, "country": "US", "state": "TX"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := loadDataset(testdata(t), tc.file)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			key := d.key(newLead(t, tc.fields))
			got, err := d.fetch(context.Background(), key)
			if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDatasetFetchReturnsACopy(t *testing.T) {
	d, err := loadDataset(testdata(t), "companies.csv")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	rec, _ := d.fetch(context.Background(), "acme.co.uk")
	delete(rec, "company")
	again, _ := d.fetch(context.Background(), "acme.co.uk")
	if again["company"] != "Acme Widgets" {
		t.Errorf("a caller's change reached the dataset: %v", again)
	}
}

func TestDatasetErrors(t *testing.T) {
	tests := []struct {
		name, file, data, want string
	}{
		{"no domain column", "c.csv", "name,industry\nAcme,software\n", "no domain column"},
		{"bad employees", "c.csv", "domain,employees\nacme.com,12\nglobex.com,many\n", "line 3: employees"},
		{"unknown country", "c.csv", "domain,country\nacme.com,Atlantis\n", `line 2: country: unknown country "Atlantis"`},
		{"free-mail domain", "c.csv", "domain,name\ngmail.com,Google Mail\n", `line 2: domain "gmail.com" is not a company domain`},
		{"duplicate", "c.csv", "domain,name\nacme.com,Acme\nwww.acme.com,Acme 2\n", "line 3: domain acme.com appears twice"},
		{"ragged row", "c.csv", "domain,name\nacme.com,Acme,extra\n", "wrong number of fields"},
		{"json not an array", "c.json", `{"acme.com": {}}`, "want a JSON array"},
		{"json tech not names", "c.json", `[{"domain": "acme.com", "tech": [1, 2]}]`, "item 0: tech"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{tc.file: {Data: []byte(tc.data)}}
			_, err := loadDataset(fsys, tc.file)
			if lead.ErrorCode(err) != lead.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want EINVALID mentioning %q", err, tc.want)
			}
		})
	}
}
