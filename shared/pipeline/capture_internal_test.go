package pipeline

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMapFieldsAcceptsLooselySpelledLeadFields(t *testing.T) {
	f := Form{Name: "demo-request", FieldMap: map[string]string{"Work email": "email"}, Required: []string{"email", "company"}, Honeypot: "fax"}
	got, err := mapFields(f, map[string]string{"Work email": "a@acme.example", "Company": "Acme", "First-Name": "Jo", "Favourite colour": "blue", "fax": ""})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"email": "a@acme.example", "company": "Acme", "first_name": "Jo", "Favourite colour": "blue"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("mapped fields (-want +got):\n%s", diff)
	}
	if _, err := mapFields(f, map[string]string{"Work email": "a@acme.example"}); err == nil {
		t.Fatal("a missing required company was accepted")
	}
}
