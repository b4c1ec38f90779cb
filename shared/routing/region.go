package routing

import "strings"

// Sales regions a territory may name. shared/lead has no region helper, so
// routing keeps this small mapping of ISO 3166-1 alpha-2 codes itself. It
// follows the usual B2B split: NA is the US and Canada (Mexico sits in
// LATAM), EMEA includes Turkey, the Caucasus and Russia, APAC runs from
// Afghanistan and Central Asia to Oceania.
var regionCountries = map[string]string{
	"NA": "US CA BM PM GL UM",
	"LATAM": "MX GT BZ SV HN NI CR PA CU DO HT JM PR TT BS BB AG DM GD KN LC VC AW CW SX BQ KY TC VG VI AI MS GP MQ BL MF " +
		"CO VE EC PE BO BR PY UY AR CL GY SR GF FK GS",
	"EMEA": "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI LT LU LV MC MD ME MK MT " +
		"NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK " +
		"AE BH IL IQ IR JO KW LB OM PS QA SA SY TR YE AM AZ GE " +
		"DZ AO BJ BW BF BI CV CM CF TD KM CG CD CI DJ EG GQ ER SZ ET GA GM GH GN GW KE LS LR LY MG MW ML MR MU YT MA MZ " +
		"NA NE NG RE RW SH ST SN SC SL SO ZA SS SD TZ TG TN UG EH ZM ZW BV",
	"APAC": "AF AS AU BD BT BN KH CN CK FJ PF GU HK IN ID JP KI KP KR KZ KG LA MO MY MV MH FM MN MM NR NP NC NZ NU NF MP PK " +
		"PW PG PH PN WS SG SB LK TW TJ TH TL TK TO TM TV UZ VU VN WF IO CX CC HM TF",
}

// countryRegion is regionCountries inverted, built once at start-up.
var countryRegion = func() map[string]string {
	m := make(map[string]string, 256)
	for region, list := range regionCountries {
		for _, c := range strings.Fields(list) {
			m[c] = region
		}
	}
	return m
}()

// regionOf returns the sales region of an ISO alpha-2 country code, or ""
// when the country is unknown.
func regionOf(country string) string { return countryRegion[country] }
