package enrich

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"

	"github.com/leadflow/leadflow/shared/lead"
)

// heuristics guesses from the email's company domain: the company name from
// its label, the website, the country from a country-code TLD. Free-mail
// and disposable addresses say nothing about a company and are never used.
type heuristics struct{}

// vanityTLDs are country-code TLDs sold worldwide for their look (.io, .ai,
// .co, .me …): they say nothing about where a company is.
var vanityTLDs = map[string]bool{
	"ac": true, "ag": true, "ai": true, "am": true, "as": true, "bz": true, "cc": true,
	"cf": true, "co": true, "fm": true, "ga": true, "gg": true, "gl": true, "gq": true,
	"io": true, "la": true, "ly": true, "me": true, "ml": true, "ms": true, "nu": true,
	"sh": true, "so": true, "st": true, "tk": true, "to": true, "tv": true, "vc": true,
	"ws": true,
}

func (heuristics) key(l *lead.Lead) string {
	if l.FreeEmail || l.DisposableEmail {
		return ""
	}
	// AccountKey is "" for free-mail and disposable domains too.
	return lead.AccountKey(l.Email)
}

// fetch guesses from a registrable domain. It never fails.
func (heuristics) fetch(_ context.Context, domain string) (record, error) {
	suffix, _ := publicsuffix.PublicSuffix(domain)
	rec := record{lead.FieldWebsite: "https://" + domain}
	if name := companyName(strings.TrimSuffix(domain, "."+suffix)); name != "" {
		rec[lead.FieldCompany] = name
	}
	if c := tldCountry(suffix); c != "" {
		rec[lead.FieldCountry] = c
	}
	return rec, nil
}

// companyName turns a domain label into a name: "northwind-analytics" →
// "Northwind Analytics". Punycode labels give no readable name.
func companyName(label string) string {
	if label == "" || strings.Contains(label, ".") || strings.HasPrefix(label, "xn--") {
		return ""
	}
	words := strings.FieldsFunc(label, func(r rune) bool { return r == '-' || r == '_' })
	for i, w := range words {
		r, n := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToUpper(r)) + w[n:]
	}
	return strings.Join(words, " ")
}

// tldCountry returns the ISO code of the public suffix's country-code TLD
// ("de" → DE, "co.uk" → GB), or "" for a generic or vanity TLD.
func tldCountry(suffix string) string {
	tld := suffix[strings.LastIndexByte(suffix, '.')+1:]
	if len(tld) != 2 || vanityTLDs[tld] {
		return ""
	}
	// "uk" is not the ISO code (GB) but CountryCode knows it as an alias.
	code, _ := lead.CountryCode(tld)
	return code
}
