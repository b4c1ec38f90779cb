package phone

import (
	"bytes"
	"os"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/leadflow/leadflow/shared/lead/phone/internal/plangen"
)

// TestPlansCurrent fails when plans_gen.go is not what the generator writes
// from the library version in go.mod: run go generate ./shared/lead/phone.
func TestPlansCurrent(t *testing.T) {
	want, err := plangen.Source()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("plans_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("plans_gen.go is out of date: run go generate ./shared/lead/phone")
	}
}

// TestPlansCompile compiles every plan's patterns, which E164 only does
// for the regions it meets.
func TestPlansCompile(t *testing.T) {
	for i := range plans {
		planRegexps(i)
		planLeadingDigits(i)
	}
}

// TestPatternsAsLibrary checks the global patterns against the library's.
func TestPatternsAsLibrary(t *testing.T) {
	p := patterns()
	for _, c := range []struct{ name, got, want string }{
		{"valid phone number", p.validPhoneNumber.String(), phonenumbers.VALID_PHONE_NUMBER_PATTERN.String()},
		{"extension", p.extension.String(), phonenumbers.EXTN_PATTERN.String()},
		{"valid start char", p.validStartChar.String(), phonenumbers.VALID_START_CHAR_PATTERN.String()},
		{"unwanted end", p.unwantedEnd.String(), phonenumbers.UNWANTED_END_CHAR_PATTERN.String()},
		{"second number start", p.secondNumberStart.String(), phonenumbers.SECOND_NUMBER_START_PATTERN.String()},
		{"plus chars", p.plusChars.String(), phonenumbers.PLUS_CHARS_PATTERN.String()},
		{"valid alpha phone", p.validAlphaPhone.String(), phonenumbers.VALID_ALPHA_PHONE_PATTERN.String()},
		{"RFC 3966 global number", p.rfc3966GlobalNumber.String(), phonenumbers.RFC3966_GLOBAL_NUMBER_DIGITS_PATTERN.String()},
		{"RFC 3966 domain name", p.rfc3966DomainName.String(), phonenumbers.RFC3966_DOMAINNAME_PATTERN.String()},
	} {
		if c.got != c.want {
			t.Errorf("%s pattern:\n got %q\nwant %q", c.name, c.got, c.want)
		}
	}
}
