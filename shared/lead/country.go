package lead

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Sales regions returned by Region.
const (
	RegionNA    = "NA"    // the United States and Canada, with Bermuda, Greenland, St Pierre and Miquelon and the US outlying islands
	RegionLATAM = "LATAM" // Mexico, Central and South America, the Caribbean
	RegionEMEA  = "EMEA"  // Europe with Russia, Türkiye and the Caucasus, the Middle East, Africa
	RegionAPAC  = "APAC"  // Asia from Afghanistan and Central Asia east, Oceania, Antarctica
)

// country is one ISO 3166-1 entry. Aliases are other names people type;
// codes and names are matched after foldKey.
type country struct {
	alpha2, alpha3, name, region string
	aliases                      []string
}

// countries holds the 249 officially assigned ISO 3166-1 codes plus XK
// (Kosovo), which ISO leaves user-assigned but phone plans, CLDR and most
// forms use.
var countries = []country{
	{"AD", "AND", "Andorra", RegionEMEA, nil},
	{"AE", "ARE", "United Arab Emirates", RegionEMEA, []string{"UAE", "Emirates"}},
	{"AF", "AFG", "Afghanistan", RegionAPAC, nil},
	{"AG", "ATG", "Antigua and Barbuda", RegionLATAM, []string{"Antigua"}},
	{"AI", "AIA", "Anguilla", RegionLATAM, nil},
	{"AL", "ALB", "Albania", RegionEMEA, []string{"Shqipëria"}},
	{"AM", "ARM", "Armenia", RegionEMEA, nil},
	{"AO", "AGO", "Angola", RegionEMEA, nil},
	{"AQ", "ATA", "Antarctica", RegionAPAC, nil},
	{"AR", "ARG", "Argentina", RegionLATAM, nil},
	{"AS", "ASM", "American Samoa", RegionAPAC, nil},
	{"AT", "AUT", "Austria", RegionEMEA, []string{"Österreich", "Osterreich"}},
	{"AU", "AUS", "Australia", RegionAPAC, nil},
	{"AW", "ABW", "Aruba", RegionLATAM, nil},
	{"AX", "ALA", "Åland Islands", RegionEMEA, []string{"Aland"}},
	{"AZ", "AZE", "Azerbaijan", RegionEMEA, nil},
	{"BA", "BIH", "Bosnia and Herzegovina", RegionEMEA, []string{"Bosnia", "Bosnia-Herzegovina"}},
	{"BB", "BRB", "Barbados", RegionLATAM, nil},
	{"BD", "BGD", "Bangladesh", RegionAPAC, nil},
	{"BE", "BEL", "Belgium", RegionEMEA, []string{"Belgique", "België", "Belgien"}},
	{"BF", "BFA", "Burkina Faso", RegionEMEA, nil},
	{"BG", "BGR", "Bulgaria", RegionEMEA, nil},
	{"BH", "BHR", "Bahrain", RegionEMEA, nil},
	{"BI", "BDI", "Burundi", RegionEMEA, nil},
	{"BJ", "BEN", "Benin", RegionEMEA, nil},
	{"BL", "BLM", "Saint Barthélemy", RegionLATAM, []string{"St Barts", "Saint Barts"}},
	{"BM", "BMU", "Bermuda", RegionNA, nil},
	{"BN", "BRN", "Brunei Darussalam", RegionAPAC, []string{"Brunei"}},
	{"BO", "BOL", "Bolivia", RegionLATAM, []string{"Bolivia, Plurinational State of", "Plurinational State of Bolivia"}},
	{"BQ", "BES", "Bonaire, Sint Eustatius and Saba", RegionLATAM, []string{"Caribbean Netherlands", "Bonaire"}},
	{"BR", "BRA", "Brazil", RegionLATAM, []string{"Brasil"}},
	{"BS", "BHS", "Bahamas", RegionLATAM, nil},
	{"BT", "BTN", "Bhutan", RegionAPAC, nil},
	{"BV", "BVT", "Bouvet Island", RegionEMEA, nil},
	{"BW", "BWA", "Botswana", RegionEMEA, nil},
	{"BY", "BLR", "Belarus", RegionEMEA, nil},
	{"BZ", "BLZ", "Belize", RegionLATAM, nil},
	{"CA", "CAN", "Canada", RegionNA, nil},
	{"CC", "CCK", "Cocos (Keeling) Islands", RegionAPAC, []string{"Cocos Islands", "Keeling Islands"}},
	{"CD", "COD", "Congo, Democratic Republic of the", RegionEMEA, []string{"Democratic Republic of the Congo", "DR Congo", "DRC", "Congo-Kinshasa", "Congo (Kinshasa)", "Zaire"}},
	{"CF", "CAF", "Central African Republic", RegionEMEA, nil},
	{"CG", "COG", "Congo", RegionEMEA, []string{"Republic of the Congo", "Congo-Brazzaville", "Congo (Brazzaville)"}},
	{"CH", "CHE", "Switzerland", RegionEMEA, []string{"Schweiz", "Suisse", "Svizzera"}},
	{"CI", "CIV", "Côte d'Ivoire", RegionEMEA, []string{"Ivory Coast"}},
	{"CK", "COK", "Cook Islands", RegionAPAC, nil},
	{"CL", "CHL", "Chile", RegionLATAM, nil},
	{"CM", "CMR", "Cameroon", RegionEMEA, nil},
	{"CN", "CHN", "China", RegionAPAC, []string{"People's Republic of China", "PRC", "Mainland China"}},
	{"CO", "COL", "Colombia", RegionLATAM, nil},
	{"CR", "CRI", "Costa Rica", RegionLATAM, nil},
	{"CU", "CUB", "Cuba", RegionLATAM, nil},
	{"CV", "CPV", "Cabo Verde", RegionEMEA, []string{"Cape Verde"}},
	{"CW", "CUW", "Curaçao", RegionLATAM, nil},
	{"CX", "CXR", "Christmas Island", RegionAPAC, nil},
	{"CY", "CYP", "Cyprus", RegionEMEA, nil},
	{"CZ", "CZE", "Czechia", RegionEMEA, []string{"Czech Republic", "Česko"}},
	{"DE", "DEU", "Germany", RegionEMEA, []string{"Deutschland", "Federal Republic of Germany", "Allemagne", "Alemania"}},
	{"DJ", "DJI", "Djibouti", RegionEMEA, nil},
	{"DK", "DNK", "Denmark", RegionEMEA, []string{"Danmark"}},
	{"DM", "DMA", "Dominica", RegionLATAM, nil},
	{"DO", "DOM", "Dominican Republic", RegionLATAM, nil},
	{"DZ", "DZA", "Algeria", RegionEMEA, nil},
	{"EC", "ECU", "Ecuador", RegionLATAM, nil},
	{"EE", "EST", "Estonia", RegionEMEA, []string{"Eesti"}},
	{"EG", "EGY", "Egypt", RegionEMEA, nil},
	{"EH", "ESH", "Western Sahara", RegionEMEA, nil},
	{"ER", "ERI", "Eritrea", RegionEMEA, nil},
	{"ES", "ESP", "Spain", RegionEMEA, []string{"España", "Espana"}},
	{"ET", "ETH", "Ethiopia", RegionEMEA, nil},
	{"FI", "FIN", "Finland", RegionEMEA, []string{"Suomi"}},
	{"FJ", "FJI", "Fiji", RegionAPAC, nil},
	{"FK", "FLK", "Falkland Islands (Malvinas)", RegionLATAM, []string{"Falkland Islands", "Falklands", "Malvinas"}},
	{"FM", "FSM", "Micronesia, Federated States of", RegionAPAC, []string{"Micronesia", "Federated States of Micronesia"}},
	{"FO", "FRO", "Faroe Islands", RegionEMEA, []string{"Faroes"}},
	{"FR", "FRA", "France", RegionEMEA, nil},
	{"GA", "GAB", "Gabon", RegionEMEA, nil},
	{"GB", "GBR", "United Kingdom", RegionEMEA, []string{"UK", "United Kingdom of Great Britain and Northern Ireland", "Great Britain", "Britain", "England", "Scotland", "Wales", "Northern Ireland"}},
	{"GD", "GRD", "Grenada", RegionLATAM, nil},
	{"GE", "GEO", "Georgia", RegionEMEA, nil},
	{"GF", "GUF", "French Guiana", RegionLATAM, nil},
	{"GG", "GGY", "Guernsey", RegionEMEA, nil},
	{"GH", "GHA", "Ghana", RegionEMEA, nil},
	{"GI", "GIB", "Gibraltar", RegionEMEA, nil},
	{"GL", "GRL", "Greenland", RegionNA, nil},
	{"GM", "GMB", "Gambia", RegionEMEA, nil},
	{"GN", "GIN", "Guinea", RegionEMEA, nil},
	{"GP", "GLP", "Guadeloupe", RegionLATAM, nil},
	{"GQ", "GNQ", "Equatorial Guinea", RegionEMEA, nil},
	{"GR", "GRC", "Greece", RegionEMEA, []string{"Hellas"}},
	{"GS", "SGS", "South Georgia and the South Sandwich Islands", RegionLATAM, []string{"South Georgia"}},
	{"GT", "GTM", "Guatemala", RegionLATAM, nil},
	{"GU", "GUM", "Guam", RegionAPAC, nil},
	{"GW", "GNB", "Guinea-Bissau", RegionEMEA, nil},
	{"GY", "GUY", "Guyana", RegionLATAM, nil},
	{"HK", "HKG", "Hong Kong", RegionAPAC, []string{"Hong Kong SAR", "Hong Kong SAR China", "Hong Kong, China"}},
	{"HM", "HMD", "Heard Island and McDonald Islands", RegionAPAC, []string{"Heard and McDonald Islands"}},
	{"HN", "HND", "Honduras", RegionLATAM, nil},
	{"HR", "HRV", "Croatia", RegionEMEA, []string{"Hrvatska"}},
	{"HT", "HTI", "Haiti", RegionLATAM, nil},
	{"HU", "HUN", "Hungary", RegionEMEA, []string{"Magyarország"}},
	{"ID", "IDN", "Indonesia", RegionAPAC, nil},
	{"IE", "IRL", "Ireland", RegionEMEA, []string{"Republic of Ireland", "Éire", "Eire"}},
	{"IL", "ISR", "Israel", RegionEMEA, nil},
	{"IM", "IMN", "Isle of Man", RegionEMEA, nil},
	{"IN", "IND", "India", RegionAPAC, []string{"Bharat"}},
	{"IO", "IOT", "British Indian Ocean Territory", RegionAPAC, nil},
	{"IQ", "IRQ", "Iraq", RegionEMEA, nil},
	{"IR", "IRN", "Iran", RegionEMEA, []string{"Iran, Islamic Republic of", "Islamic Republic of Iran"}},
	{"IS", "ISL", "Iceland", RegionEMEA, []string{"Ísland"}},
	{"IT", "ITA", "Italy", RegionEMEA, []string{"Italia"}},
	{"JE", "JEY", "Jersey", RegionEMEA, nil},
	{"JM", "JAM", "Jamaica", RegionLATAM, nil},
	{"JO", "JOR", "Jordan", RegionEMEA, nil},
	{"JP", "JPN", "Japan", RegionAPAC, []string{"Nippon"}},
	{"KE", "KEN", "Kenya", RegionEMEA, nil},
	{"KG", "KGZ", "Kyrgyzstan", RegionAPAC, []string{"Kyrgyz Republic"}},
	{"KH", "KHM", "Cambodia", RegionAPAC, nil},
	{"KI", "KIR", "Kiribati", RegionAPAC, nil},
	{"KM", "COM", "Comoros", RegionEMEA, nil},
	{"KN", "KNA", "Saint Kitts and Nevis", RegionLATAM, []string{"St Kitts", "Saint Kitts"}},
	{"KP", "PRK", "Korea, Democratic People's Republic of", RegionAPAC, []string{"North Korea", "DPRK", "Democratic People's Republic of Korea"}},
	{"KR", "KOR", "Korea, Republic of", RegionAPAC, []string{"South Korea", "Korea", "Republic of Korea"}},
	{"KW", "KWT", "Kuwait", RegionEMEA, nil},
	{"KY", "CYM", "Cayman Islands", RegionLATAM, []string{"Caymans"}},
	{"KZ", "KAZ", "Kazakhstan", RegionAPAC, nil},
	{"LA", "LAO", "Lao People's Democratic Republic", RegionAPAC, []string{"Laos", "Lao PDR"}},
	{"LB", "LBN", "Lebanon", RegionEMEA, nil},
	{"LC", "LCA", "Saint Lucia", RegionLATAM, nil},
	{"LI", "LIE", "Liechtenstein", RegionEMEA, nil},
	{"LK", "LKA", "Sri Lanka", RegionAPAC, nil},
	{"LR", "LBR", "Liberia", RegionEMEA, nil},
	{"LS", "LSO", "Lesotho", RegionEMEA, nil},
	{"LT", "LTU", "Lithuania", RegionEMEA, []string{"Lietuva"}},
	{"LU", "LUX", "Luxembourg", RegionEMEA, nil},
	{"LV", "LVA", "Latvia", RegionEMEA, []string{"Latvija"}},
	{"LY", "LBY", "Libya", RegionEMEA, nil},
	{"MA", "MAR", "Morocco", RegionEMEA, nil},
	{"MC", "MCO", "Monaco", RegionEMEA, nil},
	{"MD", "MDA", "Moldova", RegionEMEA, []string{"Moldova, Republic of", "Republic of Moldova"}},
	{"ME", "MNE", "Montenegro", RegionEMEA, nil},
	{"MF", "MAF", "Saint Martin (French part)", RegionLATAM, []string{"Saint Martin", "Saint-Martin"}},
	{"MG", "MDG", "Madagascar", RegionEMEA, nil},
	{"MH", "MHL", "Marshall Islands", RegionAPAC, nil},
	{"MK", "MKD", "North Macedonia", RegionEMEA, []string{"Macedonia", "Republic of North Macedonia", "FYROM"}},
	{"ML", "MLI", "Mali", RegionEMEA, nil},
	{"MM", "MMR", "Myanmar", RegionAPAC, []string{"Burma", "Myanmar (Burma)"}},
	{"MN", "MNG", "Mongolia", RegionAPAC, nil},
	{"MO", "MAC", "Macao", RegionAPAC, []string{"Macau", "Macao SAR", "Macao SAR China", "Macau SAR", "Macau SAR China"}},
	{"MP", "MNP", "Northern Mariana Islands", RegionAPAC, nil},
	{"MQ", "MTQ", "Martinique", RegionLATAM, nil},
	{"MR", "MRT", "Mauritania", RegionEMEA, nil},
	{"MS", "MSR", "Montserrat", RegionLATAM, nil},
	{"MT", "MLT", "Malta", RegionEMEA, nil},
	{"MU", "MUS", "Mauritius", RegionEMEA, nil},
	{"MV", "MDV", "Maldives", RegionAPAC, nil},
	{"MW", "MWI", "Malawi", RegionEMEA, nil},
	{"MX", "MEX", "Mexico", RegionLATAM, []string{"México"}},
	{"MY", "MYS", "Malaysia", RegionAPAC, nil},
	{"MZ", "MOZ", "Mozambique", RegionEMEA, nil},
	{"NA", "NAM", "Namibia", RegionEMEA, nil},
	{"NC", "NCL", "New Caledonia", RegionAPAC, nil},
	{"NE", "NER", "Niger", RegionEMEA, nil},
	{"NF", "NFK", "Norfolk Island", RegionAPAC, nil},
	{"NG", "NGA", "Nigeria", RegionEMEA, nil},
	{"NI", "NIC", "Nicaragua", RegionLATAM, nil},
	{"NL", "NLD", "Netherlands", RegionEMEA, []string{"Holland", "Nederland", "Kingdom of the Netherlands"}},
	{"NO", "NOR", "Norway", RegionEMEA, []string{"Norge"}},
	{"NP", "NPL", "Nepal", RegionAPAC, nil},
	{"NR", "NRU", "Nauru", RegionAPAC, nil},
	{"NU", "NIU", "Niue", RegionAPAC, nil},
	{"NZ", "NZL", "New Zealand", RegionAPAC, []string{"Aotearoa"}},
	{"OM", "OMN", "Oman", RegionEMEA, nil},
	{"PA", "PAN", "Panama", RegionLATAM, []string{"Panamá"}},
	{"PE", "PER", "Peru", RegionLATAM, []string{"Perú"}},
	{"PF", "PYF", "French Polynesia", RegionAPAC, []string{"Tahiti"}},
	{"PG", "PNG", "Papua New Guinea", RegionAPAC, nil},
	{"PH", "PHL", "Philippines", RegionAPAC, []string{"Pilipinas"}},
	{"PK", "PAK", "Pakistan", RegionAPAC, nil},
	{"PL", "POL", "Poland", RegionEMEA, []string{"Polska"}},
	{"PM", "SPM", "Saint Pierre and Miquelon", RegionNA, nil},
	{"PN", "PCN", "Pitcairn", RegionAPAC, []string{"Pitcairn Islands"}},
	{"PR", "PRI", "Puerto Rico", RegionLATAM, nil},
	{"PS", "PSE", "Palestine, State of", RegionEMEA, []string{"Palestine", "State of Palestine", "Palestinian Territories"}},
	{"PT", "PRT", "Portugal", RegionEMEA, nil},
	{"PW", "PLW", "Palau", RegionAPAC, nil},
	{"PY", "PRY", "Paraguay", RegionLATAM, nil},
	{"QA", "QAT", "Qatar", RegionEMEA, nil},
	{"RE", "REU", "Réunion", RegionEMEA, nil},
	{"RO", "ROU", "Romania", RegionEMEA, []string{"România"}},
	{"RS", "SRB", "Serbia", RegionEMEA, []string{"Srbija"}},
	{"RU", "RUS", "Russian Federation", RegionEMEA, []string{"Russia", "Rossiya"}},
	{"RW", "RWA", "Rwanda", RegionEMEA, nil},
	{"SA", "SAU", "Saudi Arabia", RegionEMEA, []string{"KSA", "Kingdom of Saudi Arabia"}},
	{"SB", "SLB", "Solomon Islands", RegionAPAC, nil},
	{"SC", "SYC", "Seychelles", RegionEMEA, nil},
	{"SD", "SDN", "Sudan", RegionEMEA, nil},
	{"SE", "SWE", "Sweden", RegionEMEA, []string{"Sverige"}},
	{"SG", "SGP", "Singapore", RegionAPAC, nil},
	{"SH", "SHN", "Saint Helena, Ascension and Tristan da Cunha", RegionEMEA, []string{"Saint Helena", "Ascension Island", "Tristan da Cunha"}},
	{"SI", "SVN", "Slovenia", RegionEMEA, []string{"Slovenija"}},
	{"SJ", "SJM", "Svalbard and Jan Mayen", RegionEMEA, []string{"Svalbard"}},
	{"SK", "SVK", "Slovakia", RegionEMEA, []string{"Slovak Republic", "Slovensko"}},
	{"SL", "SLE", "Sierra Leone", RegionEMEA, nil},
	{"SM", "SMR", "San Marino", RegionEMEA, nil},
	{"SN", "SEN", "Senegal", RegionEMEA, nil},
	{"SO", "SOM", "Somalia", RegionEMEA, nil},
	{"SR", "SUR", "Suriname", RegionLATAM, nil},
	{"SS", "SSD", "South Sudan", RegionEMEA, nil},
	{"ST", "STP", "Sao Tome and Principe", RegionEMEA, []string{"São Tomé and Príncipe"}},
	{"SV", "SLV", "El Salvador", RegionLATAM, nil},
	{"SX", "SXM", "Sint Maarten (Dutch part)", RegionLATAM, []string{"Sint Maarten"}},
	{"SY", "SYR", "Syrian Arab Republic", RegionEMEA, []string{"Syria"}},
	{"SZ", "SWZ", "Eswatini", RegionEMEA, []string{"Swaziland", "Kingdom of Eswatini"}},
	{"TC", "TCA", "Turks and Caicos Islands", RegionLATAM, []string{"Turks and Caicos"}},
	{"TD", "TCD", "Chad", RegionEMEA, nil},
	{"TF", "ATF", "French Southern Territories", RegionAPAC, nil},
	{"TG", "TGO", "Togo", RegionEMEA, nil},
	{"TH", "THA", "Thailand", RegionAPAC, nil},
	{"TJ", "TJK", "Tajikistan", RegionAPAC, nil},
	{"TK", "TKL", "Tokelau", RegionAPAC, nil},
	{"TL", "TLS", "Timor-Leste", RegionAPAC, []string{"East Timor"}},
	{"TM", "TKM", "Turkmenistan", RegionAPAC, nil},
	{"TN", "TUN", "Tunisia", RegionEMEA, nil},
	{"TO", "TON", "Tonga", RegionAPAC, nil},
	{"TR", "TUR", "Türkiye", RegionEMEA, []string{"Turkey", "Republic of Türkiye"}},
	{"TT", "TTO", "Trinidad and Tobago", RegionLATAM, []string{"Trinidad"}},
	{"TV", "TUV", "Tuvalu", RegionAPAC, nil},
	{"TW", "TWN", "Taiwan", RegionAPAC, []string{"Taiwan, Province of China", "Republic of China"}},
	{"TZ", "TZA", "Tanzania", RegionEMEA, []string{"Tanzania, United Republic of", "United Republic of Tanzania"}},
	{"UA", "UKR", "Ukraine", RegionEMEA, []string{"Ukraina"}},
	{"UG", "UGA", "Uganda", RegionEMEA, nil},
	{"UM", "UMI", "United States Minor Outlying Islands", RegionNA, []string{"US Minor Outlying Islands", "U.S. Outlying Islands", "US Outlying Islands"}},
	{"US", "USA", "United States", RegionNA, []string{"United States of America", "America", "US of A", "Estados Unidos"}},
	{"UY", "URY", "Uruguay", RegionLATAM, nil},
	{"UZ", "UZB", "Uzbekistan", RegionAPAC, nil},
	{"VA", "VAT", "Holy See", RegionEMEA, []string{"Vatican", "Vatican City", "Vatican City State", "Holy See (Vatican City State)"}},
	{"VC", "VCT", "Saint Vincent and the Grenadines", RegionLATAM, []string{"Saint Vincent", "St Vincent and Grenadines"}},
	{"VE", "VEN", "Venezuela", RegionLATAM, []string{"Venezuela, Bolivarian Republic of", "Bolivarian Republic of Venezuela"}},
	{"VG", "VGB", "Virgin Islands (British)", RegionLATAM, []string{"British Virgin Islands", "BVI"}},
	{"VI", "VIR", "Virgin Islands (U.S.)", RegionLATAM, []string{"US Virgin Islands", "U.S. Virgin Islands", "USVI"}},
	{"VN", "VNM", "Viet Nam", RegionAPAC, []string{"Vietnam"}},
	{"VU", "VUT", "Vanuatu", RegionAPAC, nil},
	{"WF", "WLF", "Wallis and Futuna", RegionAPAC, nil},
	{"WS", "WSM", "Samoa", RegionAPAC, nil},
	{"XK", "XKX", "Kosovo", RegionEMEA, nil},
	{"YE", "YEM", "Yemen", RegionEMEA, nil},
	{"YT", "MYT", "Mayotte", RegionEMEA, nil},
	{"ZA", "ZAF", "South Africa", RegionEMEA, []string{"RSA", "Republic of South Africa"}},
	{"ZM", "ZMB", "Zambia", RegionEMEA, nil},
	{"ZW", "ZWE", "Zimbabwe", RegionEMEA, nil},
}

// subdivision is a US state, district or territory, or a Canadian province
// or territory, with its ISO 3166-2 code (without the country prefix).
type subdivision struct {
	country, code, name string
	aliases             []string
}

var subdivisions = []subdivision{
	{"US", "AL", "Alabama", nil}, {"US", "AK", "Alaska", nil}, {"US", "AZ", "Arizona", nil},
	{"US", "AR", "Arkansas", nil}, {"US", "CA", "California", []string{"Calif"}}, {"US", "CO", "Colorado", nil},
	{"US", "CT", "Connecticut", nil}, {"US", "DE", "Delaware", nil}, {"US", "FL", "Florida", nil},
	{"US", "GA", "Georgia", nil}, {"US", "HI", "Hawaii", nil}, {"US", "ID", "Idaho", nil},
	{"US", "IL", "Illinois", nil}, {"US", "IN", "Indiana", nil}, {"US", "IA", "Iowa", nil},
	{"US", "KS", "Kansas", nil}, {"US", "KY", "Kentucky", nil}, {"US", "LA", "Louisiana", nil},
	{"US", "ME", "Maine", nil}, {"US", "MD", "Maryland", nil}, {"US", "MA", "Massachusetts", []string{"Mass"}},
	{"US", "MI", "Michigan", nil}, {"US", "MN", "Minnesota", nil}, {"US", "MS", "Mississippi", nil},
	{"US", "MO", "Missouri", nil}, {"US", "MT", "Montana", nil}, {"US", "NE", "Nebraska", nil},
	{"US", "NV", "Nevada", nil}, {"US", "NH", "New Hampshire", nil}, {"US", "NJ", "New Jersey", nil},
	{"US", "NM", "New Mexico", nil}, {"US", "NY", "New York", []string{"New York State", "NYS"}}, {"US", "NC", "North Carolina", nil},
	{"US", "ND", "North Dakota", nil}, {"US", "OH", "Ohio", nil}, {"US", "OK", "Oklahoma", nil},
	{"US", "OR", "Oregon", nil}, {"US", "PA", "Pennsylvania", nil}, {"US", "RI", "Rhode Island", nil},
	{"US", "SC", "South Carolina", nil}, {"US", "SD", "South Dakota", nil}, {"US", "TN", "Tennessee", nil},
	{"US", "TX", "Texas", nil}, {"US", "UT", "Utah", nil}, {"US", "VT", "Vermont", nil},
	{"US", "VA", "Virginia", nil}, {"US", "WA", "Washington", []string{"Washington State"}}, {"US", "WV", "West Virginia", nil},
	{"US", "WI", "Wisconsin", nil}, {"US", "WY", "Wyoming", nil},
	{"US", "DC", "District of Columbia", []string{"Washington DC", "Washington D.C.", "D.C."}},
	{"US", "AS", "American Samoa", nil}, {"US", "GU", "Guam", nil}, {"US", "MP", "Northern Mariana Islands", nil},
	{"US", "PR", "Puerto Rico", nil}, {"US", "UM", "United States Minor Outlying Islands", nil},
	{"US", "VI", "Virgin Islands", []string{"US Virgin Islands", "U.S. Virgin Islands"}},
	{"CA", "AB", "Alberta", nil}, {"CA", "BC", "British Columbia", nil}, {"CA", "MB", "Manitoba", nil},
	{"CA", "NB", "New Brunswick", nil}, {"CA", "NL", "Newfoundland and Labrador", []string{"Newfoundland", "NF", "NFLD"}},
	{"CA", "NS", "Nova Scotia", nil}, {"CA", "NT", "Northwest Territories", []string{"NWT"}}, {"CA", "NU", "Nunavut", nil},
	{"CA", "ON", "Ontario", nil}, {"CA", "PE", "Prince Edward Island", []string{"PEI"}},
	{"CA", "QC", "Quebec", []string{"Québec", "PQ"}}, {"CA", "SK", "Saskatchewan", nil},
	{"CA", "YT", "Yukon", []string{"Yukon Territory"}},
}

// Lookup tables, built on first use (a function that never normalises a
// lead never builds them): folded key → code.
var (
	countryIndex = sync.OnceValues(buildCountryIndex)
	regionByCode = sync.OnceValue(buildRegionIndex)
	stateIndex   = sync.OnceValues(buildStateIndex)
)

func buildCountryIndex() (map[string]string, []string) {
	idx := make(map[string]string, len(countries)*4)
	var conflicts []string
	add := func(name, code string) {
		k := foldKey(name)
		if prev, ok := idx[k]; ok && prev != code {
			conflicts = append(conflicts, k+": "+prev+" "+code)
			return
		}
		idx[k] = code
	}
	for _, c := range countries {
		add(c.alpha2, c.alpha2)
		add(c.alpha3, c.alpha2)
		add(c.name, c.alpha2)
		for _, a := range c.aliases {
			add(a, c.alpha2)
		}
	}
	return idx, conflicts
}

func buildRegionIndex() map[string]string {
	idx := make(map[string]string, len(countries))
	for _, c := range countries {
		idx[c.alpha2] = c.region
	}
	return idx
}

// buildStateIndex keys each subdivision by "CC:key" and, for a lead with no
// country, by ":key" (US and Canadian codes and names do not collide).
func buildStateIndex() (map[string]string, []string) {
	idx := make(map[string]string, len(subdivisions)*6)
	var conflicts []string
	add := func(k, code string) {
		if prev, ok := idx[k]; ok && prev != code {
			conflicts = append(conflicts, k+": "+prev+" "+code)
			return
		}
		idx[k] = code
	}
	for _, s := range subdivisions {
		keys := append([]string{s.code, s.country + "-" + s.code, s.name}, s.aliases...)
		for _, k := range keys {
			fk := foldKey(k)
			add(s.country+":"+fk, s.code)
			add(":"+fk, s.code)
		}
	}
	return idx, conflicts
}

// CountryCode returns the ISO 3166-1 alpha-2 code for s: an alpha-2 or
// alpha-3 code, an English short name, or a common alias ("USA", "U.S.",
// "UK", "Great Britain", "Deutschland", "Côte d’Ivoire", "St. Lucia"), in any
// case, with or without accents and punctuation. It returns "" and false
// when s is not recognised; it never fails otherwise.
func CountryCode(s string) (string, bool) {
	byKey, _ := countryIndex()
	code, ok := byKey[foldKey(s)]
	return code, ok
}

// StateCode returns the two-letter subdivision code for a US state, district
// or territory or a Canadian province or territory, given by code ("NY",
// "US-NY") or name ("New York", "Québec"). country is an alpha-2 code; when
// it is empty, US and Canadian names are both tried. It returns "" and false
// for any other country or an unrecognised name.
func StateCode(country, s string) (string, bool) {
	if country != "" && country != "US" && country != "CA" {
		return "", false
	}
	byKey, _ := stateIndex()
	code, ok := byKey[country+":"+foldKey(s)]
	return code, ok
}

// Region returns the sales region (RegionNA, RegionLATAM, RegionEMEA or
// RegionAPAC) of an ISO 3166-1 alpha-2 code, or "" for an unknown code.
// The code must already be normalised (see CountryCode): Region("NA") is
// Namibia, in EMEA.
func Region(country string) string { return regionByCode()[country] }

// foldKey reduces a name to a lookup key: lower case, accents removed, dots
// and apostrophes dropped (U.S.A. → usa, d’Ivoire → divoire), other
// punctuation turned into spaces, "&" read as "and", the word "the" dropped
// and "st" read as "saint".
func foldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(strings.TrimSpace(s)) {
		switch {
		case unicode.Is(unicode.Mn, r), r == '.', r == '\'', r == '’', r == '`':
			continue
		case r == '&':
			b.WriteString(" and ")
			space = false
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			if f, ok := letterFold[r]; ok {
				b.WriteString(f)
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
		default:
			space = true
		}
	}
	words := strings.Fields(b.String())
	out := words[:0]
	for _, w := range words {
		switch w {
		case "the":
			continue
		case "st", "ste":
			w = "saint"
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// letterFold spells out letters that NFD does not decompose.
var letterFold = map[rune]string{
	'ß': "ss", 'æ': "ae", 'Æ': "ae", 'ø': "o", 'Ø': "o", 'œ': "oe", 'Œ': "oe",
	'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d", 'ı': "i", 'þ': "th", 'Þ': "th",
}
