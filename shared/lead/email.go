package lead

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// RFC 5321 size limits.
const (
	maxEmailLen  = 254 // a forward path of 256 octets minus the angle brackets
	maxLocalLen  = 64
	maxDomainLen = 253
	maxLabelLen  = 63
)

// ValidateEmail checks s, as given, against leadflow's address policy. It
// returns nil for an acceptable address and otherwise an EINVALID *Error
// whose Field is "email"; the message never repeats the address.
//
// The policy is the addressable subset of RFC 5321/5322 that a person types
// into a form, stricter than RFC 5322 on purpose:
//   - local part: a dot-atom of ASCII atext (letters, digits and
//     !#$%&'*+-/=?^_`{|}~), no leading, trailing or doubled dot, at most 64
//     octets. Quoted local parts ("john doe"@x), comments ((x)john@x),
//     folding white space and any control character are rejected: they are
//     legal in message headers but are typos or probes on a form, and many
//     mail systems refuse them.
//   - domain: a host name of letters, digits and hyphens, labels of 1-63
//     octets that neither start nor end with a hyphen, at most 253 octets,
//     a top-level label that is not all digits. IP and domain literals
//     (john@[192.0.2.1]) are rejected: a lead has a mail domain. A Unicode
//     domain is accepted when it converts to IDNA A-labels. A single-label
//     domain is accepted only when it is an ICANN top-level domain
//     (test@io), never an intranet name such as localhost.
//   - the whole address is at most 254 octets.
//
// Surrounding white space is not trimmed here: Parse and NormalizeEmail trim
// before they validate.
func ValidateEmail(s string) error {
	if s == "" {
		return FieldError("email", "is required")
	}
	if len(s) > maxEmailLen {
		return FieldError("email", "is longer than %d bytes", maxEmailLen)
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return FieldError("email", "has no @")
	}
	local, domain := s[:at], s[at+1:]
	if err := validateLocal(local); err != nil {
		return err
	}
	return validateMailDomain(domain)
}

// validateLocal enforces the dot-atom rule on the part before the @.
func validateLocal(local string) error {
	switch {
	case local == "":
		return FieldError("email", "has nothing before the @")
	case len(local) > maxLocalLen:
		return FieldError("email", "has more than %d bytes before the @", maxLocalLen)
	case local[0] == '.' || local[len(local)-1] == '.':
		return FieldError("email", "starts or ends with a dot before the @")
	case strings.Contains(local, ".."):
		return FieldError("email", "has two dots in a row")
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; c != '.' && !isAtext(c) {
			return FieldError("email", "has a character not allowed before the @ (quotes, spaces, comments and non-ASCII are not accepted)")
		}
	}
	return nil
}

// atext is RFC 5322 atext: printable ASCII except specials and space.
var atext = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-/=?^_`{|}~" {
		t[c] = true
	}
	return t
}()

func isAtext(c byte) bool { return atext[c] }

// validateMailDomain checks the part after the @.
func validateMailDomain(domain string) error {
	if domain == "" {
		return FieldError("email", "has no domain after the @")
	}
	if domain[0] == '[' {
		return FieldError("email", "has an IP or domain literal instead of a domain name")
	}
	host, ok := asciiHost(domain)
	if !ok {
		return FieldError("email", "has a domain that is not a valid host name")
	}
	if msg := hostProblem(host); msg != "" {
		return FieldError("email", "has a domain that %s", msg)
	}
	if !strings.Contains(host, ".") {
		if _, icann := publicsuffix.PublicSuffix(host); !icann {
			return FieldError("email", "has a single-label domain that is not a top-level domain")
		}
	}
	return nil
}

// asciiHost returns host in lower-case ASCII, converting a Unicode name to
// IDNA A-labels. ASCII input skips IDNA so that valid but unusual labels
// (c--n.com) are judged by hostProblem alone.
func asciiHost(host string) (string, bool) {
	for i := 0; i < len(host); i++ {
		if host[i] >= utf8.RuneSelf {
			if !utf8.ValidString(host) {
				return "", false
			}
			a, err := idna.Lookup.ToASCII(host)
			return a, err == nil
		}
	}
	return strings.ToLower(host), true
}

// hostProblem describes what makes an ASCII host name invalid, or returns "".
func hostProblem(host string) string {
	if len(host) > maxDomainLen {
		return "is too long"
	}
	last := ""
	for label := range strings.SplitSeq(host, ".") {
		switch {
		case label == "":
			return "has an empty label (a leading, trailing or doubled dot)"
		case len(label) > maxLabelLen:
			return "has a label longer than 63 bytes"
		case label[0] == '-' || label[len(label)-1] == '-':
			return "has a label that starts or ends with a hyphen"
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return "has a character other than letters, digits, hyphens and dots"
			}
		}
		last = label
	}
	if strings.Trim(last, "0123456789") == "" {
		return "ends in an all-numeric label"
	}
	return ""
}

// NormalizeEmail trims s, lower-cases it, converts a Unicode domain to IDNA
// A-labels and validates the result with ValidateEmail. It returns the
// normalised address, or "" and the ValidateEmail error (EINVALID, field
// "email").
//
// The local part is lower-cased although RFC 5321 lets servers treat it as
// case-sensitive: no mainstream provider does, and one person must map to
// one lead. Plus tags and Gmail dots are kept: they may be distinct inboxes.
func NormalizeEmail(s string) (string, error) {
	n := canonicalEmail(s)
	if err := ValidateEmail(n); err != nil {
		return "", err
	}
	return n, nil
}

// canonicalEmail is NormalizeEmail without the validation: it never fails,
// leaving what it cannot convert as it is.
func canonicalEmail(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return s
	}
	if host, ok := asciiHost(s[at+1:]); ok && host != s[at+1:] {
		return s[:at+1] + host
	}
	return s
}

// emailDomain returns the part of an email address after the last @, or "".
func emailDomain(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	return email[at+1:]
}

// PersonKey returns the dedupe key of a person: the email trimmed,
// lower-cased and with an IDNA domain, exactly as Parse stores Lead.Email.
// It does not validate; an invalid address yields a key no stored lead has.
func PersonKey(email string) string { return canonicalEmail(email) }
