// Package phone formats phone numbers to E.164 as libphonenumber would
// (github.com/nyaruka/phonenumbers, whose results the tests hold it to),
// without linking the library: its embedded carrier, geocoding and time
// zone data and protobuf runtime cost a binary some 8 MB and 20 ms of
// package init. A table generated from the library's metadata
// (plans_gen.go, by internal/plangen) carries what parsing and validity
// read, and each region's patterns are compiled on first use.
package phone

import (
	"strconv"
	"strings"
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
	n, ok := parse(phone, region)
	if !ok || !isValid(n) {
		return phone
	}
	return "+" + strconv.Itoa(n.callingCode) + n.nsn
}
