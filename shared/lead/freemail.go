package lead

import (
	_ "embed"
	"strings"
	"sync"
)

// The repo keeps its own short lists of the common providers (a few hundred
// each) rather than the 13,000-domain public lists: every entry is a
// deliberate choice, so no business domain is penalised by a stray line.
// Tests check each entry against the public lists in shared/data.
var (
	//go:embed freemail.txt
	freeMailList string
	//go:embed disposable.txt
	disposableList string
)

// The sets are built on first use: only the functions that take in leads
// need them, and every other one starts faster without.
var (
	freeMailDomains   = sync.OnceValue(func() map[string]struct{} { return domainSet(freeMailList) })
	disposableDomains = sync.OnceValue(func() map[string]struct{} { return domainSet(disposableList) })
)

// domainSet parses an embedded list: one lower-case domain a line, blank
// lines and #-comments ignored.
func domainSet(list string) map[string]struct{} {
	set := make(map[string]struct{}, strings.Count(list, "\n"))
	for line := range strings.Lines(list) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[strings.ToLower(line)] = struct{}{}
	}
	return set
}

// inSet reports whether domain or one of its parent domains is in set, so
// that a provider's subdomains (eu.mailinator.com) are caught too.
func inSet(set map[string]struct{}, domain string) bool {
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	for domain != "" {
		if _, ok := set[domain]; ok {
			return true
		}
		i := strings.IndexByte(domain, '.')
		if i < 0 {
			return false
		}
		domain = domain[i+1:]
	}
	return false
}

// IsFreeEmailDomain reports whether domain (or a parent of it) is a free-mail
// provider such as gmail.com or yahoo.co.uk. It never fails; an empty or
// malformed domain is not free-mail.
func IsFreeEmailDomain(domain string) bool { return inSet(freeMailDomains(), domain) }

// IsDisposableEmailDomain reports whether domain (or a parent of it) is a
// throw-away mailbox provider such as mailinator.com. It never fails; an
// empty or malformed domain is not disposable.
func IsDisposableEmailDomain(domain string) bool { return inSet(disposableDomains(), domain) }
