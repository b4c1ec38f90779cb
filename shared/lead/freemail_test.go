package lead

import (
	"strings"
	"testing"
)

// TestListsInReferenceData checks that every domain on the repo's embedded
// lists is a known free-mail or disposable provider in the public lists, so
// that no business domain is penalised by mistake, and reports how much of
// the public lists the repo's short lists cover.
func TestListsInReferenceData(t *testing.T) {
	free := referenceSet(t, "free_email_domains.txt")
	disposable := referenceSet(t, "disposable_email_blocklist.conf")
	for _, list := range []struct {
		name string
		set  map[string]struct{}
	}{
		{"freemail.txt", freeMailDomains()},
		{"disposable.txt", disposableDomains()},
	} {
		t.Run(list.name, func(t *testing.T) {
			if len(list.set) < 100 {
				t.Fatalf("%s has %d domains, want a few hundred", list.name, len(list.set))
			}
			inFree, inDisposable := 0, 0
			for d := range list.set {
				_, f := free[d]
				_, x := disposable[d]
				if f {
					inFree++
				}
				if x {
					inDisposable++
				}
				if !f && !x {
					t.Errorf("%s: %q is in neither reference list", list.name, d)
				}
			}
			t.Logf("%s: %d domains; covers %d of %d in free_email_domains.txt (%.1f%%) and %d of %d in disposable_email_blocklist.conf (%.1f%%)",
				list.name, len(list.set), inFree, len(free), pct(inFree, len(free)), inDisposable, len(disposable), pct(inDisposable, len(disposable)))
		})
	}
	for d := range freeMailDomains() {
		if _, ok := disposableDomains()[d]; ok {
			t.Errorf("%q is on both the free-mail and the disposable list", d)
		}
	}
}

// referenceSet reads a public domain list: one domain a line, no comments
// (checked), lower-case.
func referenceSet(t *testing.T, name string) map[string]struct{} {
	t.Helper()
	set := map[string]struct{}{}
	for line := range strings.Lines(string(readData(t, name))) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.ContainsAny(line, "# \t") || line != strings.ToLower(line) {
			t.Fatalf("%s: unexpected line format %q", name, line)
		}
		set[line] = struct{}{}
	}
	if len(set) < 1000 {
		t.Fatalf("%s: only %d domains", name, len(set))
	}
	return set
}

func pct(n, of int) float64 { return 100 * float64(n) / float64(of) }

func TestEmailDomainFlags(t *testing.T) {
	tests := []struct {
		domain           string
		free, disposable bool
	}{
		{"gmail.com", true, false},
		{"GMAIL.COM", true, false},
		{"googlemail.com", true, false},
		{"yahoo.co.uk", true, false},
		{"hotmail.fr", true, false},
		{"outlook.com", true, false},
		{"icloud.com", true, false},
		{"proton.me", true, false},
		{"protonmail.com", true, false},
		{"web.de", true, false},
		{"gmx.de", true, false},
		{"yandex.ru", true, false},
		{"qq.com", true, false},
		{"163.com", true, false},
		{"mailinator.com", false, true},
		{"eu.mailinator.com", false, true},
		{"guerrillamail.com", false, true},
		{"10minutemail.com", false, true},
		{"temp-mail.org", false, true},
		{"yopmail.com", false, true},
		{"acme.com", false, false},
		{"google.com", false, false},
		{"notgmail.com", false, false},
		{"com", false, false},
		{"", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.domain, func(t *testing.T) {
			if got := IsFreeEmailDomain(tc.domain); got != tc.free {
				t.Errorf("IsFreeEmailDomain(%q) = %v, want %v", tc.domain, got, tc.free)
			}
			if got := IsDisposableEmailDomain(tc.domain); got != tc.disposable {
				t.Errorf("IsDisposableEmailDomain(%q) = %v, want %v", tc.domain, got, tc.disposable)
			}
		})
	}
}
