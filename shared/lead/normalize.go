package lead

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
)

// Canonical field names accepted by Parse. Any other name is an extra.
const (
	FieldEmail     = "email"
	FieldFirstName = "first_name"
	FieldLastName  = "last_name"
	FieldTitle     = "title"
	FieldCompany   = "company"
	FieldWebsite   = "website"
	FieldPhone     = "phone"
	FieldCountry   = "country"
	FieldState     = "state"
	FieldEmployees = "employees"
	FieldIndustry  = "industry"
	FieldConsent   = "consent"
)

// Input limits enforced by Parse.
const (
	MaxFieldBytes    = 1000       // per value
	MaxExtras        = 50         // free-form fields per submission
	MaxExtraKeyBytes = 100        // per extra field name
	MaxEmployees     = 10_000_000 // above any real employer: a typo or a probe
)

// Parse builds a new lead from a submission's fields, keyed by the canonical
// names (FieldEmail …); any other key is kept in Extras as given. Values are
// trimmed; an empty value counts as absent.
//
// Every value and extra key must be valid UTF-8 of at most MaxFieldBytes
// (keys MaxExtraKeyBytes) without control characters (NUL, CR, LF, tab, DEL,
// C1), extras included; there may be at most MaxExtras extras. The email is
// required and must pass ValidateEmail. employees must be a head count
// (see ParseEmployees) and consent a recognised answer (see ParseConsent).
// Parse returns an EINVALID *Error whose Field names the first offending
// field ("extras" or "extras.<name>" for extras); messages never repeat the
// submitted values.
//
// A phone, website, country or state that cannot be understood never fails
// the lead: see Normalize. The lead comes back normalised, with Stage
// StageNew and Consent set (ConsentUnknown when absent); ID, timestamps and
// source are left to the caller.
func Parse(fields map[string]string) (*Lead, error) {
	l := &Lead{Stage: StageNew, Consent: ConsentUnknown}
	// Canonical fields first, in a fixed order, so that the field an error
	// names does not depend on map iteration.
	for _, f := range canonicalFields {
		v, ok := fields[f.name]
		if !ok {
			continue
		}
		if err := checkValue(f.name, v); err != nil {
			return nil, err
		}
		if err := f.set(l, strings.TrimSpace(v)); err != nil {
			return nil, err
		}
	}
	if err := parseExtras(l, fields); err != nil {
		return nil, err
	}
	if l.Email == "" {
		return nil, FieldError(FieldEmail, "is required")
	}
	email, err := NormalizeEmail(l.Email)
	if err != nil {
		return nil, err
	}
	l.Email = email
	Normalize(l)
	return l, nil
}

// canonicalField is one canonical name and how its trimmed value lands on a
// lead.
type canonicalField struct {
	name string
	set  func(l *Lead, v string) error
}

var canonicalFields = []canonicalField{
	{FieldEmail, func(l *Lead, v string) error { l.Email = v; return nil }},
	{FieldFirstName, func(l *Lead, v string) error { l.FirstName = v; return nil }},
	{FieldLastName, func(l *Lead, v string) error { l.LastName = v; return nil }},
	{FieldTitle, func(l *Lead, v string) error { l.Title = v; return nil }},
	{FieldCompany, func(l *Lead, v string) error { l.Company = v; return nil }},
	{FieldWebsite, func(l *Lead, v string) error { l.Website = v; return nil }},
	{FieldPhone, func(l *Lead, v string) error { l.Phone = v; return nil }},
	{FieldCountry, func(l *Lead, v string) error { l.Country = v; return nil }},
	{FieldState, func(l *Lead, v string) error { l.State = v; return nil }},
	{FieldEmployees, func(l *Lead, v string) (err error) { l.Employees, err = ParseEmployees(v); return err }},
	{FieldIndustry, func(l *Lead, v string) error { l.Industry = v; return nil }},
	{FieldConsent, func(l *Lead, v string) (err error) { l.Consent, err = ParseConsent(v); return err }},
}

// parseExtras copies the non-canonical fields into l.Extras, as given. When
// several are bad, the error names the smallest name, for the same
// determinism as above.
func parseExtras(l *Lead, fields map[string]string) error {
	n := 0
	for k := range fields {
		if !isCanonical(k) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	if n > MaxExtras {
		return FieldError("extras", "has more than %d fields", MaxExtras)
	}
	var firstBad string
	var firstErr error
	l.Extras = make(map[string]string, n)
	for k, v := range fields {
		if isCanonical(k) {
			continue
		}
		if err := checkValue(k, v); err != nil {
			if firstErr == nil || k < firstBad {
				firstBad, firstErr = k, err
			}
			continue
		}
		l.Extras[k] = v
	}
	if firstErr != nil {
		l.Extras = nil
		return firstErr
	}
	return nil
}

// isCanonical reports whether k is one of the canonical field names.
func isCanonical(k string) bool {
	switch k {
	case FieldEmail, FieldFirstName, FieldLastName, FieldTitle, FieldCompany, FieldWebsite,
		FieldPhone, FieldCountry, FieldState, FieldEmployees, FieldIndustry, FieldConsent:
		return true
	}
	return false
}

// checkValue enforces the size and character limits on one field.
func checkValue(k, v string) error {
	field := k
	if !isCanonical(k) {
		if k == "" || len(k) > MaxExtraKeyBytes || !cleanText(k) {
			return FieldError("extras", "has a field name that is empty, longer than %d bytes or not clean UTF-8 text", MaxExtraKeyBytes)
		}
		field = "extras." + k
	}
	if len(v) > MaxFieldBytes {
		return FieldError(field, "is longer than %d bytes", MaxFieldBytes)
	}
	if !cleanText(v) {
		return FieldError(field, "is not valid UTF-8 text or contains control characters")
	}
	return nil
}

// cleanText reports whether s is valid UTF-8 without control characters.
// Line breaks and tabs count as control characters: no canonical field
// needs them, and in extras they are a log- and CSV-injection vector.
func cleanText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return false
		}
		if c >= utf8.RuneSelf {
			return cleanUnicode(s[i:])
		}
	}
	return true
}

func cleanUnicode(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			// RuneError here is either invalid UTF-8 or a literal U+FFFD;
			// both are refused, a replacement character is never real data.
			return false
		}
	}
	return true
}

// Normalize brings a lead's fields into their stored form; the capture path
// calls it through Parse and enrichment calls it again after filling fields.
// It is idempotent and never fails: a value it cannot understand is kept as
// given (trimmed) rather than lost, except a country, which must be an ISO
// code: an unrecognised country is moved to Extras["country"] and Country
// cleared.
//
//   - Email trimmed and lower-cased (it is not validated here: Parse does),
//     EmailDomain its domain, FreeEmail and DisposableEmail from the
//     repo's provider lists.
//   - Domain, the account key: the registrable domain (public-suffix aware)
//     of a business email, else of Website, else an already set Domain;
//     never a free-mail or disposable provider, so that gmail users are not
//     grouped into one account. "" when none is known.
//   - Country to ISO 3166-1 alpha-2, State to a two-letter code for the US
//     and Canada (other countries' states are kept as given).
//   - Phone trimmed; E.164 formatting needs the numbering plan metadata, so
//     it is package phone's (the pipeline applies it at capture and
//     enrichment).
//   - Seniority and Function from Title (left alone when Title is empty, so
//     values an enrichment provider set survive).
//   - Industry lower-cased; names, company, title and industry with inner
//     white space collapsed; Consent ConsentUnknown when empty.
func Normalize(l *Lead) {
	l.Email = canonicalEmail(l.Email)
	l.EmailDomain = emailDomain(l.Email)
	l.FreeEmail = IsFreeEmailDomain(l.EmailDomain)
	l.DisposableEmail = IsDisposableEmailDomain(l.EmailDomain)

	l.FirstName = collapseSpace(l.FirstName)
	l.LastName = collapseSpace(l.LastName)
	l.Company = collapseSpace(l.Company)
	l.Title = collapseSpace(l.Title)
	l.Industry = strings.ToLower(collapseSpace(l.Industry))
	l.Website = strings.TrimSpace(l.Website)

	l.Domain = companyDomain(l)

	if c := strings.TrimSpace(l.Country); c != "" {
		if code, ok := CountryCode(c); ok {
			l.Country = code
		} else {
			if l.Extras == nil {
				l.Extras = make(map[string]string)
			}
			l.Extras[FieldCountry] = c
			l.Country = ""
		}
	}
	l.State = strings.TrimSpace(l.State)
	if code, ok := StateCode(l.Country, l.State); ok {
		l.State = code
	}
	l.Phone = strings.TrimSpace(l.Phone)

	if l.Title != "" {
		l.Seniority, l.Function = ClassifyTitle(l.Title)
	}
	if l.Consent == "" {
		l.Consent = ConsentUnknown
	}
}

// companyDomain picks the account key of l, see Normalize.
func companyDomain(l *Lead) string {
	if !l.FreeEmail && !l.DisposableEmail {
		if d := AccountKey(l.EmailDomain); d != "" {
			return d
		}
	}
	if d := AccountKey(l.Website); d != "" {
		return d
	}
	return AccountKey(l.Domain)
}

// collapseSpace trims s and turns each run of inner white space into one
// space.
func collapseSpace(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") && !strings.ContainsAny(s, "\t\n\r\u00a0") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// AccountKey returns the account dedupe key for a domain, a URL or an email
// address: the registrable domain (eTLD+1 by the public-suffix list) in
// lower-case ASCII, so "https://www.acme.co.uk/about", "acme.co.uk",
// "WWW.ACME.CO.UK." and "jane@sales.acme.co.uk" all give "acme.co.uk". It
// returns "" when there is no registrable domain (an IP address, a bare
// public suffix, a malformed host) and for free-mail and disposable
// providers, which are never an account. It never fails.
func AccountKey(domainOrURL string) string {
	host := hostOf(domainOrURL)
	if host == "" {
		return ""
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil || IsFreeEmailDomain(host) || IsDisposableEmailDomain(host) {
		return ""
	}
	return d
}

// hostOf extracts a valid lower-case ASCII host name from a domain, URL or
// email address, or returns "".
func hostOf(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	host := s
	if strings.ContainsAny(s, ":/?#") {
		raw := s
		if !strings.Contains(s, "://") {
			raw = "http://" + s
		}
		u, err := url.Parse(raw)
		if err != nil {
			return ""
		}
		host = u.Hostname()
	} else if at := strings.LastIndexByte(s, '@'); at >= 0 {
		host = s[at+1:]
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" || net.ParseIP(host) != nil {
		return ""
	}
	host, ok := asciiHost(host)
	if !ok || hostProblem(host) != "" {
		return ""
	}
	return host
}

// ParseEmployees reads a head count as typed on forms and in enrichment
// data: "1200", "1,200", "1.2k", "500+" (the lower bound), "10,001+
// employees", "Self-employed" (1), or a range "51-200" / "51 – 200" / "51 to
// 200", which gives its midpoint rounded down (125): an estimate in the
// band's middle scores and routes like the company most likely is. An empty
// string is 0 (unknown). Returns an EINVALID *Error for field "employees"
// when s is not a non-negative count of at most MaxEmployees or a range
// runs backwards.
func ParseEmployees(s string) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, suffix := range []string{"employees", "employee", "people", "staff"} {
		s = strings.TrimSpace(strings.TrimSuffix(s, suffix))
	}
	switch s {
	case "":
		return 0, nil
	case "self-employed", "self employed":
		return 1, nil
	}
	lo, hi, isRange := s, "", false
	for _, sep := range []string{" to ", "–", "—", "-"} {
		if a, b, ok := strings.Cut(s, sep); ok && strings.TrimSpace(a) != "" {
			lo, hi, isRange = a, b, true
			break
		}
	}
	low, ok := headCount(lo)
	if !ok {
		return 0, FieldError(FieldEmployees, "must be a number of employees such as 1200 or 51-200")
	}
	if !isRange {
		return low, nil
	}
	high, ok := headCount(hi)
	if !ok || high < low {
		return 0, FieldError(FieldEmployees, "must be a number of employees such as 1200 or 51-200")
	}
	return low + (high-low)/2, nil
}

// headCount parses one count: digits with optional thousands commas, an
// optional k suffix (which allows one decimal place) and an optional
// trailing "+".
func headCount(s string) (int, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "+")
	s = strings.ReplaceAll(s, ",", "")
	mult := 1
	if t, ok := strings.CutSuffix(s, "k"); ok {
		s, mult = strings.TrimSpace(t), 1000
	}
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, false
	}
	var n int
	if whole, frac, ok := strings.Cut(s, "."); ok && mult == 1000 && len(frac) == 1 {
		w, err1 := strconv.Atoi(whole)
		f, err2 := strconv.Atoi(frac)
		if err1 != nil || err2 != nil || w < 0 || w > MaxEmployees/1000 || f < 0 {
			return 0, false
		}
		n = w*1000 + f*100
	} else {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 || v > MaxEmployees/mult {
			return 0, false
		}
		n = v * mult
	}
	if n > MaxEmployees {
		return 0, false
	}
	return n, true
}

// consentValues maps the answers forms send for a consent checkbox or
// select, after lower-casing.
var consentValues = map[string]Consent{
	"yes": ConsentGranted, "y": ConsentGranted, "true": ConsentGranted, "1": ConsentGranted, "on": ConsentGranted,
	"granted": ConsentGranted, "checked": ConsentGranted, "opt-in": ConsentGranted, "opt_in": ConsentGranted,
	"opted-in": ConsentGranted, "opted_in": ConsentGranted, "accepted": ConsentGranted, "agree": ConsentGranted, "agreed": ConsentGranted,
	"no": ConsentDenied, "n": ConsentDenied, "false": ConsentDenied, "0": ConsentDenied, "off": ConsentDenied,
	"denied": ConsentDenied, "unchecked": ConsentDenied, "opt-out": ConsentDenied, "opt_out": ConsentDenied,
	"opted-out": ConsentDenied, "opted_out": ConsentDenied, "declined": ConsentDenied, "disagree": ConsentDenied,
	"unsubscribed": ConsentUnsubscribed,
	"unknown":      ConsentUnknown,
}

// ParseConsent reads a form's consent answer: yes/true/1/on/granted (and
// y, checked, opt-in, accepted, agree) grant; no/false/0/off/denied (and n,
// unchecked, opt-out, declined) deny; "unsubscribed" and "unknown" are taken
// as such; an empty string is ConsentUnknown. Case is ignored. Any other
// value returns an EINVALID *Error for field "consent": guessing would
// either spam someone or lose a lead, so a form sending something else must
// be fixed.
func ParseConsent(s string) (Consent, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return ConsentUnknown, nil
	}
	if c, ok := consentValues[s]; ok {
		return c, nil
	}
	return "", FieldError(FieldConsent, "must be yes or no (or true/false, 1/0, on/off, granted/denied)")
}
