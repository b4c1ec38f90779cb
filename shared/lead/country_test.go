package lead

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

func TestCountryCode(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"US", "US"}, {"us", "US"}, {"USA", "US"}, {"U.S.", "US"}, {"U.S.A.", "US"},
		{"United States", "US"}, {"united states of america", "US"}, {"  America ", "US"},
		{"UK", "GB"}, {"U.K.", "GB"}, {"GB", "GB"}, {"GBR", "GB"}, {"Great Britain", "GB"},
		{"United Kingdom", "GB"}, {"England", "GB"}, {"Scotland", "GB"},
		{"Deutschland", "DE"}, {"Germany", "DE"}, {"DEU", "DE"}, {"de", "DE"},
		{"Österreich", "AT"}, {"Osterreich", "AT"}, {"Schweiz", "CH"},
		{"Côte d’Ivoire", "CI"}, {"Cote d'Ivoire", "CI"}, {"Ivory Coast", "CI"},
		{"St. Lucia", "LC"}, {"St Kitts & Nevis", "KN"}, {"Saint Vincent and the Grenadines", "VC"},
		{"Bosnia & Herzegovina", "BA"}, {"Korea, Republic of", "KR"}, {"South Korea", "KR"}, {"North Korea", "KP"},
		{"Congo - Kinshasa", "CD"}, {"DRC", "CD"}, {"Congo", "CG"},
		{"Czech Republic", "CZ"}, {"Czechia", "CZ"}, {"Turkey", "TR"}, {"Türkiye", "TR"},
		{"Holland", "NL"}, {"The Netherlands", "NL"}, {"UAE", "AE"}, {"U.A.E.", "AE"},
		{"Russia", "RU"}, {"Viet Nam", "VN"}, {"Vietnam", "VN"}, {"Curaçao", "CW"}, {"Åland Islands", "AX"},
		{"Kosovo", "XK"}, {"Namibia", "NA"}, {"NA", "NA"},
		{"", ""}, {"Narnia", ""}, {"U", ""}, {"North America", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := CountryCode(tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CountryCode(%q) (-want +got):\n%s", tc.in, diff)
			}
			if ok != (tc.want != "") {
				t.Errorf("CountryCode(%q) ok = %v", tc.in, ok)
			}
		})
	}
}

// TestCountryTable checks the table against ISO 3166-1 as known to
// golang.org/x/text: 249 official codes plus XK, each alpha-3 right, each
// CLDR English name recognised, every phone-plan region present.
func TestCountryTable(t *testing.T) {
	if _, conflicts := countryIndex(); len(conflicts) > 0 {
		t.Errorf("country keys claimed by two codes: %v", conflicts)
	}
	if _, conflicts := stateIndex(); len(conflicts) > 0 {
		t.Errorf("state keys claimed by two codes: %v", conflicts)
	}
	seen := map[string]bool{}
	names := display.English.Regions()
	for _, c := range countries {
		if seen[c.alpha2] {
			t.Errorf("%s listed twice", c.alpha2)
		}
		seen[c.alpha2] = true
		switch c.region {
		case RegionNA, RegionLATAM, RegionEMEA, RegionAPAC:
		default:
			t.Errorf("%s has region %q", c.alpha2, c.region)
		}
		r, err := language.ParseRegion(c.alpha2)
		if err != nil {
			t.Errorf("%s: x/text does not know it: %v", c.alpha2, err)
			continue
		}
		if c.alpha2 != "XK" && r.ISO3() != c.alpha3 {
			t.Errorf("%s: alpha-3 %s, x/text says %s", c.alpha2, c.alpha3, r.ISO3())
		}
		if name := names.Name(r); name != "" {
			if got, _ := CountryCode(name); got != c.alpha2 {
				t.Errorf("CLDR name %q of %s gives %q", name, c.alpha2, got)
			}
		}
	}
	if got, want := len(countries), 249+1; got != want {
		t.Errorf("table has %d countries, want %d (249 ISO codes and XK)", got, want)
	}
	// Ascension (AC) and Tristan da Cunha (TA) have phone plans but no ISO
	// 3166-1 code: they are part of SH.
	for region := range phonenumbers.GetSupportedRegions() {
		if region != "AC" && region != "TA" && !seen[region] {
			t.Errorf("phone region %s is not in the country table", region)
		}
	}
}

func TestStateCode(t *testing.T) {
	tests := []struct {
		country, in, want string
	}{
		{"US", "NY", "NY"}, {"US", "ny", "NY"}, {"US", "New York", "NY"}, {"US", "US-NY", "NY"},
		{"US", "california", "CA"}, {"US", "Washington D.C.", "DC"}, {"US", "Puerto Rico", "PR"},
		{"CA", "Québec", "QC"}, {"CA", "Quebec", "QC"}, {"CA", "ON", "ON"}, {"CA", "British Columbia", "BC"},
		{"CA", "PEI", "PE"}, {"", "Texas", "TX"}, {"", "Ontario", "ON"},
		{"US", "Ontario", ""}, {"CA", "Texas", ""}, {"DE", "Bayern", ""}, {"GB", "NY", ""}, {"US", "Narnia", ""},
	}
	for _, tc := range tests {
		t.Run(tc.country+"/"+tc.in, func(t *testing.T) {
			got, ok := StateCode(tc.country, tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("StateCode(%q, %q) (-want +got):\n%s", tc.country, tc.in, diff)
			}
			if ok != (tc.want != "") {
				t.Errorf("StateCode(%q, %q) ok = %v", tc.country, tc.in, ok)
			}
		})
	}
	if got := len(subdivisions); got != 51+6+13 {
		t.Errorf("%d subdivisions, want 50 states + DC + 6 territories + 13 provinces and territories", got)
	}
}

func TestRegion(t *testing.T) {
	tests := []struct{ country, want string }{
		{"US", RegionNA}, {"CA", RegionNA}, {"MX", RegionLATAM}, {"BR", RegionLATAM}, {"PR", RegionLATAM},
		{"GB", RegionEMEA}, {"DE", RegionEMEA}, {"AE", RegionEMEA}, {"ZA", RegionEMEA}, {"TR", RegionEMEA}, {"RU", RegionEMEA},
		{"NA", RegionEMEA}, {"IN", RegionAPAC}, {"JP", RegionAPAC}, {"AU", RegionAPAC}, {"KZ", RegionAPAC},
		{"", ""}, {"us", ""}, {"USA", ""}, {"ZZ", ""},
	}
	for _, tc := range tests {
		t.Run(tc.country, func(t *testing.T) {
			if got := Region(tc.country); got != tc.want {
				t.Errorf("Region(%q) = %q, want %q", tc.country, got, tc.want)
			}
		})
	}
}
