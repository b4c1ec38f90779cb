// Package phone formats phone numbers to E.164 with libphonenumber's
// numbering plans. It is apart from package lead because loading the plans
// costs every importing binary 8 MB and some 20 ms at start: only the
// enrich function, which formats leads' phones, links it.
package phone

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// E164 returns phone in E.164 ("+442079460958") when it parses as a valid
// number, reading a number without a country prefix as one of region (an
// ISO alpha-2 code, the lead's country; may be empty). A number with an
// extension is kept as given, since E.164 cannot carry it. Otherwise it
// returns phone trimmed: a phone never fails a lead.
func E164(phone, region string) string {
	phone = strings.TrimSpace(phone)
	if phone == "" {
		return ""
	}
	n, err := phonenumbers.Parse(phone, region)
	if err != nil || n.GetExtension() != "" || !phonenumbers.IsValidNumber(n) {
		return phone
	}
	return phonenumbers.Format(n, phonenumbers.E164)
}
