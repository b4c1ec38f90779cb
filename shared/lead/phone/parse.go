package phone

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// This file ports the part of libphonenumber's Parse (as
// github.com/nyaruka/phonenumbers implements it) that decides a number's
// calling code and national significant number. The patterns and the order
// of the steps are the library's, so that odd input goes the same way.

const (
	minLengthForNSN     = 2
	maxLengthForNSN     = 17
	maxLengthForCC      = 3
	maxInputLength      = 250
	rfc3966Prefix       = "tel:"
	rfc3966PhoneContext = ";phone-context="
	rfc3966ISDNSubaddr  = ";isub="

	validPunctuation = "-x\u2010-\u2015\u2212\u30FC\uFF0D-\uFF0F " +
		"\u00A0\u00AD\u200B\u2060\u3000()\uFF08\uFF09\uFF3B\uFF3D." +
		"\\[\\]/~\u2053\u223C\uFF5E"
	digits     = "\\p{Nd}"
	validAlpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	plusChars  = "+\uFF0B"

	validPhoneNumber = digits + "{2}|" +
		"[" + plusChars + "]*(?:[" + validPunctuation + "*]*" + digits + "){3,}[" +
		validPunctuation + "*" + validAlpha + digits + "]*"

	// Extension labels, as the library writes them for parsing.
	extSeparators        = "[ \u00A0\\t,]*"
	extCharsAfterLabel   = "[:\\.\uFF0E]?[ \u00A0\\t,-]*"
	extSuffix            = "#?"
	extExplicitLabels    = "(?:e?xt(?:ensi(?:o\u0301?|\u00F3))?n?|\uFF45?\uFF58\uFF54\uFF4E?|\u0434\u043E\u0431|anexo)"
	extAmbiguousLabels   = "(?:[x\uFF58#\uFF03~\uFF5E]|int|\uFF49\uFF4E\uFF54)"
	extAmbiguousSep      = "[- ]+"
	extSeparatorsNoComma = "[ \u00A0\\t]*"
	extAutoDialling      = "(?:,{2}|;)"
	extPatterns          = ";ext=(" + digits + "{1,20})|" +
		extSeparators + extExplicitLabels + extCharsAfterLabel + "(" + digits + "{1,20})" + extSuffix + "|" +
		extSeparators + extAmbiguousLabels + extCharsAfterLabel + "(" + digits + "{1,9})" + extSuffix + "|" +
		extAmbiguousSep + "(" + digits + "{1,6})#|" +
		extSeparatorsNoComma + extAutoDialling + extCharsAfterLabel + "(" + digits + "{1,15})" + extSuffix + "|" +
		extSeparatorsNoComma + "(?:,)+" + extCharsAfterLabel + "(" + digits + "{1,9})" + extSuffix

	rfc3966VisualSeparator = "[\\-\\.\\(\\)]?"
	rfc3966PhoneDigit      = "(" + digits + "|" + rfc3966VisualSeparator + ")"
	rfc3966GlobalNumber    = "^\\+" + rfc3966PhoneDigit + "*" + digits + rfc3966PhoneDigit + "*$"
	alphanum               = validAlpha + digits
	rfc3966DomainLabel     = "[" + alphanum + "]+((\\-)*[" + alphanum + "])*"
	rfc3966TopLabel        = "[" + validAlpha + "]+((\\-)*[" + alphanum + "])*"
	rfc3966DomainName      = "^(" + rfc3966DomainLabel + "\\.)*" + rfc3966TopLabel + "\\.?$"
)

// globalPatterns are the library's patterns that belong to no plan.
type globalPatterns struct {
	validStartChar, unwantedEnd, secondNumberStart *regexp.Regexp
	validPhoneNumber, extension                    *regexp.Regexp
	plusChars, validAlphaPhone                     *regexp.Regexp
	rfc3966GlobalNumber, rfc3966DomainName         *regexp.Regexp
}

var (
	globalOnce sync.Once
	global     globalPatterns
)

// patterns returns the global patterns, compiling them on first use rather
// than at start.
func patterns() *globalPatterns {
	globalOnce.Do(func() {
		global = globalPatterns{
			validStartChar: regexp.MustCompile("[" + plusChars + digits + "]"),
			// Go reads this class (written for Java, with intersections)
			// as it reads it for the library, which is what matters here.
			unwantedEnd:         regexp.MustCompile("[[\\P{N}&&\\P{L}]&&[^#]]+$"),
			secondNumberStart:   regexp.MustCompile("[\\\\/] *x"),
			validPhoneNumber:    regexp.MustCompile("(?i)^(" + validPhoneNumber + "(?:" + extPatterns + ")?)$"),
			extension:           regexp.MustCompile("(?i)(?:" + extPatterns + ")$"),
			plusChars:           regexp.MustCompile("[" + plusChars + "]+"),
			validAlphaPhone:     regexp.MustCompile("^(?:.*?[A-Za-z]){3}.*$"),
			rfc3966GlobalNumber: regexp.MustCompile(rfc3966GlobalNumber),
			rfc3966DomainName:   regexp.MustCompile(rfc3966DomainName),
		}
	})
	return &global
}

// parse ports parseHelper. It reports false where the library fails to
// parse, and for a number with an extension, which E164 keeps as given.
func parse(input, region string) (number, bool) {
	if len(input) == 0 || len(input) > maxInputLength {
		return number{}, false
	}
	national, ok := nationalNumberForParsing(input)
	if !ok || !isViable(national) {
		return number{}, false
	}
	regionPlan := regionPlanIndex(region)
	// Without a known region the number must carry its calling code.
	if regionPlan < 0 && !patterns().plusChars.MatchString(national) {
		return number{}, false
	}
	if hasExtension(national) {
		return number{}, false
	}

	cc, nationalNumber, err := extractCountryCode(national, regionPlan)
	if err == errInvalidCountryCode {
		// A "+" followed by something else than a calling code: the
		// library tries again without it, so that an IDD may follow.
		if loc := patterns().plusChars.FindStringIndex(national); loc != nil {
			cc, nationalNumber, err = extractCountryCode(national[loc[1]:], regionPlan)
			if err == nil && cc == 0 {
				err = errInvalidCountryCode
			}
		}
	}
	if err != nil {
		return number{}, false
	}

	numberPlan := regionPlan
	if cc != 0 {
		// The main region's plan stands for all regions of the code. (For
		// region "001", which has no plan of its own, the library keeps
		// none: non-geographic plans have no national prefix anyway.)
		if main, _ := callingCodePlans(cc); plans[main].region != region {
			numberPlan = main
		}
	} else {
		nationalNumber = normalize(national)
		if regionPlan >= 0 {
			cc = plans[regionPlan].callingCode
		}
	}
	if len(nationalNumber) < minLengthForNSN {
		return number{}, false
	}
	if numberPlan >= 0 {
		// Keep the national prefix when what is left would be too short:
		// the number may be a short one that starts like the prefix.
		stripped := stripNationalPrefix(nationalNumber, numberPlan)
		switch checkLength(stripped, &plans[numberPlan]) {
		case tooShort, isPossibleLocalOnly, invalidLength:
		default:
			nationalNumber = stripped
		}
	}
	if len(nationalNumber) < minLengthForNSN || len(nationalNumber) > maxLengthForNSN {
		return number{}, false
	}
	return number{callingCode: cc, nsn: significantNumber(nationalNumber)}, true
}

// significantNumber is the national number as the library stores it and
// writes it back: an integer and a count of Italian leading zeros, which
// are all the leading zeros but a last digit. Digits the integer cannot
// read (the library keeps scripts other than ASCII, Arabic-Indic and full
// width as they are) make the integer 0, as the library ignores the error.
func significantNumber(national string) string {
	zeros := 0
	if len(national) >= 2 && national[0] == '0' {
		zeros = 1
		for zeros < len(national)-1 && national[zeros] == '0' {
			zeros++
		}
	}
	n, _ := strconv.ParseUint(national, 10, 64)
	return strings.Repeat("0", zeros) + strconv.FormatUint(n, 10)
}

// nationalNumberForParsing ports buildNationalNumberForParsing: the number
// from an RFC 3966 URI with a phone context, or else the part of the input
// that can be a number. It reports false for an invalid phone context.
func nationalNumberForParsing(input string) (string, bool) {
	contextAt := strings.Index(input, rfc3966PhoneContext)
	context := ""
	if contextAt >= 0 {
		start := contextAt + len(rfc3966PhoneContext)
		if start < len(input) {
			context = input[start:]
			if end := strings.IndexByte(context, ';'); end >= 0 {
				context = context[:end]
			}
		}
		if context == "" || !patterns().rfc3966GlobalNumber.MatchString(context) &&
			!patterns().rfc3966DomainName.MatchString(context) {
			return "", false
		}
	}
	var national string
	if contextAt > 0 {
		if context[0] == '+' {
			national = context
		}
		from := 0
		if telAt := strings.Index(input, rfc3966Prefix); telAt >= 0 && telAt < contextAt {
			from = telAt + len(rfc3966Prefix)
		}
		national += input[from:contextAt]
	} else {
		national = extractPossibleNumber(input)
	}
	if i := strings.Index(national, rfc3966ISDNSubaddr); i > 0 {
		national = national[:i]
	}
	return national, true
}

// extractPossibleNumber drops what precedes the first character that can
// start a number, trailing characters that are neither letters nor digits
// (as the library's pattern reads), and a second number after "/x".
func extractPossibleNumber(s string) string {
	p := patterns()
	loc := p.validStartChar.FindStringIndex(s)
	if loc == nil {
		return ""
	}
	s = s[loc[0]:]
	if loc := p.unwantedEnd.FindStringIndex(s); loc != nil {
		s = s[:loc[0]]
	}
	if loc := p.secondNumberStart.FindStringIndex(s); loc != nil {
		s = s[:loc[0]]
	}
	return s
}

// isViable: at least three digits (or just two), punctuation, letters and
// an extension.
func isViable(s string) bool {
	return len(s) >= minLengthForNSN && patterns().validPhoneNumber.MatchString(s)
}

// hasExtension ports maybeStripExtension's test: an extension label and
// digits end the number, and what precedes them is viable.
func hasExtension(s string) bool {
	ext := patterns().extension
	loc := ext.FindStringIndex(s)
	if loc == nil || !isViable(s[:loc[0]]) {
		return false
	}
	for _, group := range ext.FindStringSubmatch(s)[1:] {
		if group != "" {
			return true
		}
	}
	return false
}

type parseError string

func (e parseError) Error() string { return string(e) }

const (
	errInvalidCountryCode = parseError("invalid country code")
	errTooShortAfterIDD   = parseError("too short after IDD")
)

// extractCountryCode ports maybeExtractCountryCode: the calling code after
// a "+" or the IDD of the region (plan index regionPlan, -1 for none), or
// that of the region itself at the start of a number which is better
// without it. It returns the calling code and the normalised national
// number, or 0 and "" when the number has no calling code.
func extractCountryCode(s string, regionPlan int) (int, string, error) {
	if s == "" {
		return 0, "", nil
	}
	full, international := stripInternationalPrefix(s, regionPlan)
	if international {
		if len(full) <= minLengthForNSN {
			return 0, "", errTooShortAfterIDD
		}
		if cc, rest := leadingCallingCode(full); cc != 0 {
			return cc, rest, nil
		}
		return 0, "", errInvalidCountryCode
	}
	if regionPlan >= 0 {
		p := &plans[regionPlan]
		ccDigits := strconv.Itoa(p.callingCode)
		if strings.HasPrefix(full, ccDigits) {
			general := planRegexps(regionPlan).general
			national := stripNationalPrefix(full[len(ccDigits):], regionPlan)
			if !general.MatchString(full) && general.MatchString(national) ||
				checkLength(full, p) == tooLong {
				return p.callingCode, national, nil
			}
		}
	}
	return 0, "", nil
}

// stripInternationalPrefix ports maybeStripInternationalPrefixAndNormalize:
// it normalises s and strips leading "+" signs or else the region's IDD,
// reporting whether it found either.
func stripInternationalPrefix(s string, regionPlan int) (string, bool) {
	if loc := patterns().plusChars.FindStringIndex(s); loc != nil && loc[0] == 0 {
		return normalize(s[loc[1]:]), true
	}
	s = normalize(s)
	if regionPlan < 0 {
		return s, false
	}
	loc := planRegexps(regionPlan).internationalPrefix.FindStringIndex(s)
	if loc == nil || loc[0] != 0 {
		return s, false
	}
	// Calling codes do not start with 0: "00" then 0 is not an IDD.
	for _, r := range s[loc[1]:] {
		if unicode.IsDigit(r) {
			if normalizeDigits(string(r)) == "0" {
				return s, false
			}
			break
		}
	}
	return s[loc[1]:], true
}

// leadingCallingCode ports extractCountryCode: the known calling code of
// one to three digits that s starts with, and the rest of s.
func leadingCallingCode(s string) (int, string) {
	if s == "" || s[0] == '0' {
		return 0, ""
	}
	for i := 1; i <= maxLengthForCC && i <= len(s); i++ {
		cc, _ := strconv.Atoi(s[:i])
		if knownCallingCode(cc) {
			return cc, s[i:]
		}
	}
	return 0, ""
}

// stripNationalPrefix ports maybeStripNationalPrefixAndCarrierCode (the
// carrier code is of no use here): it removes the national prefix of plan i
// from the start of s, or rewrites s by the transform rule, unless s fits
// the general pattern and would not fit it after.
func stripNationalPrefix(s string, i int) string {
	re := planRegexps(i)
	prefix := re.nationalPrefixForParsing
	if s == "" || prefix == nil || !prefix.MatchString(s) {
		return s
	}
	viable := re.general.MatchString(s)
	groups := prefix.FindStringSubmatchIndex(s)
	lastGroup := len(groups)/2 - 1
	rule := plans[i].nationalPrefixTransformRule
	if rule == "" || groups[lastGroup*2] < 0 {
		if viable && !re.general.MatchString(s[groups[1]:]) {
			return s
		}
		return s[groups[1]:]
	}
	transformed := prefix.ReplaceAllString(s, rule)
	if viable && !re.general.MatchString(transformed) {
		return s
	}
	return transformed
}

// normalize ports the library's normalize: with three or more ASCII
// letters, a vanity number whose letters become keypad digits; else the
// digits alone, Arabic-Indic and full-width ones made ASCII.
func normalize(s string) string {
	if patterns().validAlphaPhone.MatchString(s) {
		var b strings.Builder
		for _, r := range s {
			switch r = unicode.ToUpper(r); {
			case '0' <= r && r <= '9':
				b.WriteRune(r)
			case 'A' <= r && r <= 'Z':
				b.WriteByte(keypad[r-'A'])
			}
		}
		return b.String()
	}
	return normalizeDigits(s)
}

// keypad maps A to Z to the digits of an ITU E.161 keypad.
const keypad = "22233344455566677778889999"

// normalizeDigits keeps the digits of s, of any script, making Arabic-Indic,
// Eastern Arabic-Indic and full-width ones ASCII as the library does.
func normalizeDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if !unicode.IsDigit(r) {
			continue
		}
		switch {
		case '\u0660' <= r && r <= '\u0669':
			r = '0' + r - '\u0660'
		case '\u06F0' <= r && r <= '\u06F9':
			r = '0' + r - '\u06F0'
		case '\uFF10' <= r && r <= '\uFF19':
			r = '0' + r - '\uFF10'
		}
		b.WriteRune(r)
	}
	return b.String()
}
