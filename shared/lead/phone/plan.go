package phone

import (
	"math/bits"
	"regexp"
	"sort"
	"sync"
)

//go:generate go run ./internal/plangen/cmd/plangen plans_gen.go

// A plan is the part of a region's numbering plan (or a non-geographic
// entity's, region "001") that parsing to E.164 and validity read: the
// library's PhoneMetadata, cut down. Patterns are the library's, for Go's
// regexp, so they match as they do there.
type plan struct {
	region      string
	callingCode int

	// internationalPrefix is the IDD pattern of numbers dialled from the
	// region ("00", "011" …); only regions have one.
	internationalPrefix string
	// nationalPrefixForParsing matches the national prefix (and carrier
	// code) at the start of a national number; when it captures,
	// nationalPrefixTransformRule rewrites the number from the captures.
	nationalPrefixForParsing    string
	nationalPrefixTransformRule string
	// leadingDigits picks this region for a number of a calling code it
	// shares; it is set only for such regions.
	leadingDigits string

	lengths      lengthSet // possible lengths of a national significant number
	localLengths lengthSet // lengths only diallable within an area
	general      string    // every valid national number matches this

	// types are the number types the plan has numbers of, fixed line,
	// mobile, toll free and so on: a number is valid when it matches
	// general and one of them.
	types []numberType
}

type numberType struct {
	lengths lengthSet // none: those of the general description
	pattern string
}

// A lengthSet holds lengths as bits: 1<<n for length n.
type lengthSet uint32

func (s lengthSet) has(n int) bool { return n >= 0 && n < 32 && s&(1<<n) != 0 }

type regionPlan struct {
	region string
	plan   uint16
}

// regexps is a plan's patterns compiled, anchored as the library anchors
// them. A plan is compiled on first use: most leads come from a handful of
// regions, and compiling all some 250 plans would cost every cold start.
type regexps struct {
	internationalPrefix      *regexp.Regexp
	nationalPrefixForParsing *regexp.Regexp // nil: no national prefix
	general                  *regexp.Regexp
	types                    []*regexp.Regexp
}

var compiled [len(plans)]struct {
	once sync.Once
	re   regexps

	// Leading digits are compiled apart: picking a region of +1 tries up
	// to two dozen of them, most of which then go unused.
	leadingOnce   sync.Once
	leadingDigits *regexp.Regexp
}

// planRegexps returns plan i's patterns, compiling them on first use.
func planRegexps(i int) *regexps {
	c := &compiled[i]
	c.once.Do(func() {
		p := &plans[i]
		// The library does not anchor the IDD pattern but only accepts a
		// match at the start.
		c.re.internationalPrefix = regexp.MustCompile(p.internationalPrefix)
		if p.nationalPrefixForParsing != "" {
			c.re.nationalPrefixForParsing = regexp.MustCompile("^(?:" + p.nationalPrefixForParsing + ")")
		}
		c.re.general = regexp.MustCompile("^(?:" + p.general + ")$")
		c.re.types = make([]*regexp.Regexp, len(p.types))
		for j, t := range p.types {
			c.re.types[j] = regexp.MustCompile("^(?:" + t.pattern + ")$")
		}
	})
	return &c.re
}

// planLeadingDigits returns plan i's leading digits pattern, or nil.
func planLeadingDigits(i int) *regexp.Regexp {
	c := &compiled[i]
	c.leadingOnce.Do(func() {
		if ld := plans[i].leadingDigits; ld != "" {
			c.leadingDigits = regexp.MustCompile("^(?:" + ld + ")")
		}
	})
	return c.leadingDigits
}

// regionPlanIndex returns the index in plans of region (an ISO code as the
// library spells it, upper case), or -1 if the library has no plan for it.
func regionPlanIndex(region string) int {
	i := sort.Search(len(regionPlans), func(i int) bool { return regionPlans[i].region >= region })
	if i < len(regionPlans) && regionPlans[i].region == region {
		return int(regionPlans[i].plan)
	}
	return -1
}

// callingCodePlans returns the range of plans with calling code cc, the main
// region first; it is empty for a code the library does not know.
func callingCodePlans(cc int) (first, end int) {
	first = sort.Search(len(plans), func(i int) bool { return plans[i].callingCode >= cc })
	end = first
	for end < len(plans) && plans[end].callingCode == cc {
		end++
	}
	return first, end
}

func knownCallingCode(cc int) bool {
	first, end := callingCodePlans(cc)
	return first < end
}

// lengthCheck is the library's ValidationResult, for testNumberLength.
type lengthCheck int

const (
	isPossible lengthCheck = iota
	isPossibleLocalOnly
	tooShort
	tooLong
	invalidLength
)

// checkLength ports testNumberLength for the general description (type
// UNKNOWN): the only use parsing makes of it.
func checkLength(number string, p *plan) lengthCheck {
	n := len(number)
	if p.localLengths.has(n) {
		return isPossibleLocalOnly
	}
	shortest := bits.TrailingZeros32(uint32(p.lengths))
	longest := 31 - bits.LeadingZeros32(uint32(p.lengths))
	switch {
	case n == shortest:
		return isPossible
	case n < shortest:
		return tooShort
	case n > longest:
		return tooLong
	case p.lengths.has(n):
		return isPossible
	}
	return invalidLength
}

// matchesType ports getNumberTypeHelper(...) != UNKNOWN: nsn matches the
// general description and that of a number type.
func matchesType(nsn string, i int) bool {
	p, re := &plans[i], planRegexps(i)
	if !p.lengths.has(len(nsn)) || !re.general.MatchString(nsn) {
		return false
	}
	for j, t := range p.types {
		if (t.lengths == 0 || t.lengths.has(len(nsn))) && re.types[j].MatchString(nsn) {
			return true
		}
	}
	return false
}

// A number is what E.164 is written from.
type number struct {
	callingCode int
	nsn         string // national significant number, Italian leading zeros included
}

// isValid ports IsValidNumber: the number's region is the only one of its
// calling code, or among several the first whose leading digits match or,
// lacking leading digits, whose patterns do; the number must match a type
// of that region.
func isValid(n number) bool {
	first, end := callingCodePlans(n.callingCode)
	if first == end {
		return false
	}
	if end-first == 1 {
		return matchesType(n.nsn, first)
	}
	for i := first; i < end; i++ {
		if ld := planLeadingDigits(i); ld != nil {
			if ld.MatchString(n.nsn) {
				return matchesType(n.nsn, i)
			}
		} else if matchesType(n.nsn, i) {
			return true
		}
	}
	return false
}
