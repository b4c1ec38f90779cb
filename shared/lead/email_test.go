package lead

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateEmail(t *testing.T) {
	tests := []struct {
		name  string
		email string
		ok    bool
	}{
		{"plain", "jane@acme.com", true},
		{"upper case", "Jane.Doe@ACME.co.uk", true},
		{"plus tag", "jane+leads@acme.com", true},
		{"all atext", "!#$%&'*+-/=?^_`{|}~@acme.com", true},
		{"numeric domain label", "x@123.com", true},
		{"double hyphen label", "x@c--n.com", true},
		{"punycode domain", "x@xn--bcher-kva.de", true},
		{"unicode domain", "x@bücher.de", true},
		{"tld only", "test@io", true},
		{"local 64 bytes", strings.Repeat("a", 64) + "@acme.com", true},
		{"empty", "", false},
		{"no at", "jane.acme.com", false},
		{"two ats", "jane@doe@acme.com", false},
		{"local 65 bytes", strings.Repeat("a", 65) + "@acme.com", false},
		{"leading dot", ".jane@acme.com", false},
		{"trailing dot local", "jane.@acme.com", false},
		{"double dot", "jane..doe@acme.com", false},
		{"quoted local", `"jane doe"@acme.com`, false},
		{"comment", "(c)jane@acme.com", false},
		{"space", "jane doe@acme.com", false},
		{"surrounding space", " jane@acme.com", false},
		{"non-ascii local", "jöhn@acme.com", false},
		{"ip literal", "jane@[192.0.2.1]", false},
		{"bare ip", "jane@192.0.2.1", false},
		{"numeric tld", "jane@acme.123", false},
		{"intranet host", "jane@localhost", false},
		{"trailing dot domain", "jane@acme.com.", false},
		{"hyphen start", "jane@-acme.com", false},
		{"hyphen end", "jane@acme-.com", false},
		{"underscore domain", "jane@ac_me.com", false},
		{"label 64 bytes", "jane@" + strings.Repeat("a", 64) + ".com", false},
		{"newline", "jane@acme.com\n", false},
		{"nul", "jane\x00@acme.com", false},
		{"too long", strings.Repeat("a", 60) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 4) + "com", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateEmail(tc.email)
			if got := err == nil; got != tc.ok {
				t.Fatalf("ValidateEmail(%q) = %v, want ok=%v", tc.email, err, tc.ok)
			}
			if err != nil {
				if ErrorCode(err) != EINVALID {
					t.Errorf("code = %q, want %q", ErrorCode(err), EINVALID)
				}
				if fe := asError(t, err); fe.Field != "email" {
					t.Errorf("field = %q, want email", fe.Field)
				}
				if tc.email != "" && strings.Contains(err.Error(), tc.email) {
					t.Errorf("error %q repeats the address", err)
				}
			}
		})
	}
}

// isemailVector is one row of isemail_tests_flat.csv.
type isemailVector struct {
	id, address, category, diagnosis string
}

// readIsemailVectors loads the isemail vectors, turning the U+24xx control
// pictures the file uses back into the control characters they stand for.
func readIsemailVectors(t *testing.T) []isemailVector {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(readData(t, "isemail_tests_flat.csv")))
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("parse isemail csv: %v", err)
	}
	if len(rows) < 2 || rows[0][1] != "address" || rows[0][2] != "category" || rows[0][3] != "diagnosis" {
		t.Fatalf("unexpected isemail header %v", rows[0])
	}
	pictures := strings.NewReplacer(controlPictures()...)
	var vs []isemailVector
	for _, row := range rows[1:] {
		vs = append(vs, isemailVector{id: row[0], address: pictures.Replace(row[1]), category: row[2], diagnosis: row[3]})
	}
	return vs
}

// controlPictures returns replacer pairs U+2400+c → c for the C0 controls and
// U+2421 → DEL.
func controlPictures() []string {
	var pairs []string
	for c := rune(0); c < 0x20; c++ {
		pairs = append(pairs, string(0x2400+c), string(c))
	}
	return append(pairs, "\u2421", "\x7f")
}

func TestValidateEmailIsEmailVectors(t *testing.T) {
	vs := readIsemailVectors(t)
	type tally struct{ accepted, rejected int }
	byCategory := map[string]*tally{}
	for _, v := range vs {
		err := ValidateEmail(v.address)
		tl := byCategory[v.category]
		if tl == nil {
			tl = &tally{}
			byCategory[v.category] = tl
		}
		if err == nil {
			tl.accepted++
		} else {
			tl.rejected++
		}
		switch v.category {
		case "ISEMAIL_ERR":
			if err == nil {
				t.Errorf("vector %s (%s) %q accepted, want rejected", v.id, v.diagnosis, v.address)
			}
		case "ISEMAIL_VALID_CATEGORY", "ISEMAIL_VALID":
			if err != nil {
				t.Errorf("vector %s (%s) %q rejected (%v), want accepted", v.id, v.diagnosis, v.address, err)
			}
		default:
			t.Logf("vector %s %-32s accepted=%-5v %q", v.id, v.diagnosis, err == nil, v.address)
		}
	}
	controls := 0
	for _, v := range vs {
		if strings.ContainsFunc(v.address, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			controls++
		}
	}
	if controls == 0 {
		t.Errorf("no vector holds a control character: the U+24xx pictures were not decoded")
	}
	if byCategory["ISEMAIL_ERR"] == nil || byCategory["ISEMAIL_VALID_CATEGORY"] == nil {
		t.Fatalf("isemail data lacks the ERR or VALID category: %v", byCategory)
	}
	cats := make([]string, 0, len(byCategory))
	for c := range byCategory {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	var b strings.Builder
	for _, c := range cats {
		fmt.Fprintf(&b, "\n  %-24s accepted %3d  rejected %3d", c, byCategory[c].accepted, byCategory[c].rejected)
	}
	t.Logf("isemail vectors by category (%d):%s", len(vs), b.String())
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"  Jane.Doe@ACME.com ", "jane.doe@acme.com", true},
		{"JANE@Bücher.DE", "jane@xn--bcher-kva.de", true},
		{"jane@acme", "", false},
		{"\tjane@acme.com", "jane@acme.com", true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormalizeEmail(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("NormalizeEmail(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("NormalizeEmail(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestPersonKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{" Jane.Doe+x@Acme.COM", "jane.doe+x@acme.com"},
		{"jane@BÜCHER.de", "jane@xn--bcher-kva.de"},
		{"not an email", "not an email"},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, PersonKey(tc.in)); diff != "" {
				t.Errorf("PersonKey(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
	if PersonKey("JANE@acme.com") != PersonKey("jane@ACME.COM ") {
		t.Errorf("case and spaces change the person key")
	}
}

// asError returns err as an *Error, failing the test when it is not one.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %T %v is not a *lead.Error", err, err)
	}
	return e
}
