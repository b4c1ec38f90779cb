package phone_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/leadflow/leadflow/shared/lead/phone"
)

// reference is E164 as it was built on the library, which E164 must match.
func reference(p, region string) string {
	p = strings.TrimSpace(p)
	if p == "" {
		return ""
	}
	n, err := phonenumbers.Parse(p, region)
	if err != nil || n.GetExtension() != "" || !phonenumbers.IsValidNumber(n) {
		return p
	}
	return phonenumbers.Format(n, phonenumbers.E164)
}

type input struct{ phone, region string }

var numberTypes = []phonenumbers.PhoneNumberType{
	phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
	phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP,
	phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER, phonenumbers.UAN,
	phonenumbers.VOICEMAIL,
}

// junk is input no lead should carry but some do, and the library's corner
// cases: RFC 3966 URIs, vanity numbers, other scripts' digits, extensions
// of every kind, stray pluses.
var junk = []string{
	"", " ", "+", "++", "+0", "00", "0", "1", "12", "123", "+1", "+12", "+123",
	"n/a", "none", "-", "--", "()", "x", "ext", "#", "*", "+*1", "**12345",
	"john@example.com", "call me", "tbd", "0000000000", "+0000000000", "9999999999",
	"1-800-FLOWERS", "1 800 MICROSOFT", "+1 650 GOO GLE", "0800 FLOWERS", "+44 800 FLOWERS",
	"tel:+1-201-555-0123", "tel:201-555-0123;phone-context=+1", "201-555-0123;phone-context=+1",
	"tel:2015550123;phone-context=example.com", "tel:2015550123;phone-context=", ";phone-context=+44",
	"tel:+44-20-7946-0958;isub=12345", "+442079460958;isub=1", "tel:7946 0958;phone-context=+44-20",
	"+44 20 7946 0958;ext=123", "+44 20 7946 0958 ext 123", "+44 20 7946 0958 x123", "+44 20 7946 0958 #123",
	"+1 201 555 0123 extension 5", "+1 201 555 0123 extensión 5", "+1 201 555 0123 anexo 5",
	"+1 201 555 0123 доб 5", "+1 201 555 0123 - 503#", "+1 201 555 0123,,5", "+1 201 555 0123;5",
	"+1 201 555 0123,5", "(530) 583-6985 x302/x2303", "201 555 0123 / x 12", "+1 201 555 0123 int 44",
	"+１２０１５５５０１２３", "＋44 20 7946 0958", "٠٢٠٧٩٤٦٠٩٥٨", "+٤٤٢٠٧٩٤٦٠٩٥٨", "۰۲۰۷۹۴۶۰۹۵۸",
	"+४४२०७९४६०९५८", "020 ७९४६ ०९५८", "+44 २० 7946 0958", "+1 ２０１ 555 0123",
	"+44 (0) 20 7946 0958", "+44 (0)20 7946 0958", "0044 20 7946 0958", "011 44 20 7946 0958",
	"+0044 20 7946 0958", "+011 44 20 7946 0958", "+00 44 20 7946 0958", "00 0 44 20 7946 0958",
	"+49 (0)30 901820", "0049 30 901820", "+49-30-901820", "49 30 901820", "4930901820",
	"+7 (495) 123-45-67", "8 (495) 123-45-67", "8 10 44 20 7946 0958", "+7 701 123 4567", "+7 840 123 4567",
	"+39 06 1234 5678", "+39 06 698 12345", "+39 3123456789", "06 6981 2345", "+379 06 698 12345",
	"+800 1234 5678", "+808 1234 5678", "+882 3456 7890", "+883 5100 1234 5678", "+870 7612 3456", "+979 123 456 789",
	"+44 1624 123456", "+44 1534 123456", "+44 1481 123456", "+44 7624 123456", "+44 7911 123456",
	"+1 268 464 1234", "+1 416 555 0123", "+1 787 555 0123", "+1 809 555 0123", "+1 345 555 0123",
	"+54 9 11 1234 5678", "011 15 1234 5678", "0343 15 123 4567", "+55 11 91234 5678", "0 21 11 91234 5678",
	"+81 3 1234 5678", "+61 8 9162 1234", "+61 2 1234 5678", "+262 269 61 12 34", "+590 590 27 12 34",
	"+358 18 12345", "+47 79 12 34 56", "+212 528 123456", "+290 8 1234", "+599 7 123 4567",
	"+1-201-555-0123-", "+1 201 555 0123.", "+1 201 555 0123!!", "+1 201 555 0123 ", "(+1) 201 555 0123",
	"[+1] 201 555 0123", "+1/201/555/0123", "+1~201~555~0123", "+1\u00a0201\u00a0555\u00a00123", "+1\t201\t555\t0123",
	"+1\n201 555 0123", "+1 201\n555 0123", "\u200b+1 201 555 0123", "+1 201\u2013555\u20130123", "+1 (201) 555-0123 abc",
	"abc +1 201 555 0123", "Tel: +44 20 7946 0958", "phone: 020 7946 0958", "+44 20 7946 0958 (home)",
	"+44 20 7946 0958 / +44 20 7946 0959", "020 7946 0958, 020 7946 0959", "+1 201 555 0123 x", "+1 201 555 0123 x 1234567890",
	strings.Repeat("1", 17), strings.Repeat("1", 18), "+" + strings.Repeat("9", 20), strings.Repeat("5", 251),
	"+" + strings.Repeat("1", 249), "+1 201 555 0123" + strings.Repeat(" ", 240), "\xff\xfe+1 201 555 0123", "+1 201 555 \xff0123",
	"ıııı 555 0123", "+1 ſſſ 555 0123", "+1 KLM 555 0123",
}

var junkRegions = []string{"", "US", "GB", "DE", "XX", "ZZ", "001", "us", "gb", " US", "USA", "UK", "EU"}

// corpus builds the differential corpus, deterministically.
func corpus() []input {
	var in []input
	add := func(p string, regions ...string) {
		for _, r := range regions {
			in = append(in, input{p, r})
		}
	}
	regions := sortedRegions()
	fromRegions := []string{"US", "GB", "DE", "FR", "JP", "AU", "BR", "RU", "KZ", "CN", "IN", "IT", "AR", "MX", "SE", "ZA", "SG", "CO", "KR", "NZ"}

	addNumber := func(n *phonenumbers.PhoneNumber, region string, i int) {
		cc := int(n.GetCountryCode())
		ccs := strconv.Itoa(cc)
		nsn := phonenumbers.GetNationalSignificantNumber(n)
		main := phonenumbers.GetRegionCodeForCountryCode(cc)
		other := regions[(i*7+3)%len(regions)]
		sameCode := phonenumbers.GetRegionCodesForCountryCode(cc)
		sibling := sameCode[(i+1)%len(sameCode)]
		national := phonenumbers.Format(n, phonenumbers.NATIONAL)
		intl := phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
		e164 := phonenumbers.Format(n, phonenumbers.E164)
		ndd := phonenumbers.GetNddPrefixForRegion(region, true)

		add(national, region, "", other, sibling, main, strings.ToLower(region))
		add(intl, region, "", other, "XX")
		add(e164, region, "", other)
		add(phonenumbers.Format(n, phonenumbers.RFC3966), region, "")
		add(nsn, region, "", other, sibling)
		add(ccs+nsn, region, "", other)
		add(ccs+" "+national, region, other)
		add("0"+nsn, region, other)
		add(ndd+nsn, region, sibling)
		add(ndd+ndd+nsn, region)
		add("00"+ccs+nsn, region, "", other)
		add("011"+ccs+nsn, region, "", other)
		add("+00"+ccs+nsn, region)
		add("+011"+ccs+nsn, region)
		add("+"+ccs+" 0"+nsn, region, "")
		add("+"+ccs+" ("+ndd+") "+nsn, region)
		for _, from := range append([]string{region, other, sibling}, fromRegions[i%len(fromRegions)], fromRegions[(i+5)%len(fromRegions)]) {
			add(phonenumbers.FormatOutOfCountryCallingNumber(n, from), from, region, "")
		}
		// Punctuation.
		add(strings.ReplaceAll(national, " ", "."), region)
		add(strings.ReplaceAll(national, " ", "-"), region)
		add(strings.ReplaceAll(intl, " ", "-"), "")
		add(strings.ReplaceAll(intl, " ", ""), other)
		if len(nsn) > 6 {
			add("("+nsn[:3]+") "+nsn[3:], region)
			add("+"+ccs+" ("+nsn[:3]+") "+nsn[3:6]+"-"+nsn[6:], "", region)
		}
		// Extensions.
		add(national+" ext. 123", region)
		add(intl+" x12", "")
		add(e164+";ext=5", region)
		add(national+" #4", region)
		add(intl+",,77", region)
		// Too long, too short.
		add(nsn+"1", region, "")
		add(nsn+"12", region)
		add("+"+ccs+nsn+"9", "")
		add(nsn[:len(nsn)-1], region)
		add("+"+ccs+nsn[:len(nsn)-1], "")
		add("+"+ccs+nsn[:len(nsn)/2], "")
		add("+"+ccs+nsn[1:], "")
	}

	for i, r := range regions {
		for _, t := range numberTypes {
			if n := phonenumbers.GetExampleNumberForType(r, t); n != nil {
				addNumber(n, r, i)
			}
		}
	}
	for i, cc := range sortedCodes(phonenumbers.GetSupportedGlobalNetworkCallingCodes()) {
		if n := phonenumbers.GetExampleNumberForNonGeoEntity(cc); n != nil {
			addNumber(n, "", i)
			e164 := phonenumbers.Format(n, phonenumbers.E164)
			add(e164, "001", "US", "GB")
			add("00"+e164[1:], "DE", "001")
		}
	}

	// Pseudo-random digits per calling code: any digits, and the digits of
	// an example number with a random tail, so that many are valid.
	rng := rand.New(rand.NewPCG(1, 2))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		return string(b)
	}
	for _, cc := range sortedCodes(phonenumbers.GetSupportedCallingCodes()) {
		ccs := strconv.Itoa(cc)
		ids := phonenumbers.GetRegionCodesForCountryCode(cc)
		var examples []string
		for _, id := range ids {
			for _, t := range numberTypes {
				var n *phonenumbers.PhoneNumber
				if id == "001" {
					n = phonenumbers.GetExampleNumberForNonGeoEntity(cc)
				} else {
					n = phonenumbers.GetExampleNumberForType(id, t)
				}
				if n != nil {
					examples = append(examples, phonenumbers.GetNationalSignificantNumber(n))
				}
			}
		}
		for j := range 2000 {
			region := ids[j%len(ids)]
			if region == "001" {
				region = ""
			}
			var nsn string
			if len(examples) > 0 && j%2 == 0 {
				ex := examples[j%len(examples)]
				keep := rng.IntN(len(ex) + 1)
				nsn = ex[:keep] + digits(max(0, len(ex)-keep+rng.IntN(3)-1))
			} else {
				nsn = digits(1 + rng.IntN(17))
			}
			switch j % 5 {
			case 0:
				add("+"+ccs+nsn, "")
			case 1:
				add(nsn, region)
			case 2:
				add("0"+nsn, region)
			case 3:
				add(ccs+nsn, region)
			case 4:
				add("+"+ccs+" "+nsn, regions[rng.IntN(len(regions))])
			}
		}
	}

	for _, p := range junk {
		add(p, junkRegions...)
	}
	return in
}

func sortedRegions() []string {
	var r []string
	for id := range phonenumbers.GetSupportedRegions() {
		r = append(r, id)
	}
	slices.Sort(r)
	return r
}

func sortedCodes(m map[int]bool) []int {
	var c []int
	for cc := range m {
		c = append(c, cc)
	}
	slices.Sort(c)
	return c
}

// TestE164MatchesLibrary holds E164 to the library over the corpus.
func TestE164MatchesLibrary(t *testing.T) {
	in := corpus()
	var diffs []string
	formatted := 0
	for _, c := range in {
		want := reference(c.phone, c.region)
		if want != strings.TrimSpace(c.phone) {
			formatted++
		}
		if got := phone.E164(c.phone, c.region); got != want {
			diffs = append(diffs, fmt.Sprintf("E164(%q, %q) = %q, library %q", c.phone, c.region, got, want))
		}
	}
	t.Logf("%d inputs (%d of them formatted to E.164 by the library), %d disagreements", len(in), formatted, len(diffs))
	if len(diffs) > 0 {
		t.Errorf("%d of %d inputs disagree with the library; first ones:\n%s",
			len(diffs), len(in), strings.Join(diffs[:min(len(diffs), 20)], "\n"))
	}
}

func FuzzE164(f *testing.F) {
	for _, p := range junk {
		f.Add(p, "US")
	}
	for _, c := range []input{
		{"020 7946 0958", "GB"}, {"+44 20 7946 0958", ""}, {"030 901820", "DE"},
		{"8 (495) 123-45-67", "RU"}, {"011 15 1234 5678", "AR"}, {"06 6981 2345", "IT"},
		{"+1 268 464 1234", "CA"}, {"0 21 11 91234 5678", "BR"}, {"+800 1234 5678", "001"},
	} {
		f.Add(c.phone, c.region)
	}
	// An example number of every region, of a type that varies.
	for i, r := range sortedRegions() {
		for j := range numberTypes {
			if n := phonenumbers.GetExampleNumberForType(r, numberTypes[(i+j)%len(numberTypes)]); n != nil {
				f.Add(phonenumbers.Format(n, phonenumbers.NATIONAL), r)
				f.Add(phonenumbers.Format(n, phonenumbers.INTERNATIONAL), "")
				break
			}
		}
	}
	f.Fuzz(func(t *testing.T, p, region string) {
		if got, want := phone.E164(p, region), reference(p, region); got != want {
			t.Errorf("E164(%q, %q) = %q, library %q", p, region, got, want)
		}
	})
}

// BenchmarkE164 formats a few typical inputs, beside the library doing the
// same for comparison.
func BenchmarkE164(b *testing.B) {
	inputs := []input{
		{"020 7946 0958", "GB"},
		{"+1 (201) 555-0123", "US"},
		{"(416) 555-0123", "CA"},
		{"0151 12345678", "DE"},
		{"+33 6 12 34 56 78", ""},
		{"not a phone", "US"},
	}
	for _, f := range []struct {
		name string
		e164 func(string, string) string
	}{{"leadflow", phone.E164}, {"library", reference}} {
		b.Run(f.name, func(b *testing.B) {
			for _, c := range inputs {
				f.e164(c.phone, c.region) // compile the regions' patterns
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				c := inputs[i%len(inputs)]
				f.e164(c.phone, c.region)
			}
		})
	}
}
