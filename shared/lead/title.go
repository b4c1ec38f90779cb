package lead

import "strings"

// Seniority levels derived from a job title, most senior first.
const (
	SeniorityCLevel     = "c_level"
	SeniorityVP         = "vp"
	SeniorityHead       = "head"
	SeniorityDirector   = "director"
	SeniorityManager    = "manager"
	SeniorityIndividual = "individual"
)

// Functions (departments) derived from a job title.
const (
	FunctionSales       = "sales"
	FunctionMarketing   = "marketing"
	FunctionRevenue     = "revenue" // revenue leadership and RevOps
	FunctionGrowth      = "growth"
	FunctionEngineering = "engineering"
	FunctionProduct     = "product"
	FunctionFinance     = "finance"
	FunctionHR          = "hr"
	FunctionOperations  = "operations"
	FunctionIT          = "it"
	FunctionOther       = "other"
)

// titleRule maps any of its phrases (whole words of the folded title) to a
// value. Rules are tried in order; the first that matches wins.
type titleRule struct {
	value   string
	phrases []string
}

// seniorityRules: the exceptions come first (an assistant to a VP is not a
// VP; an account manager is a salesperson, not a manager), then the levels
// from the top, so "SVP & Chief Revenue Officer" is c_level. "president"
// alone is handled in Seniority because "vice president" contains it.
var seniorityRules = compileRules([]titleRule{
	{SeniorityIndividual, []string{"assistant to", "executive assistant", "personal assistant", "administrative assistant",
		"intern", "internship", "trainee", "student", "account manager", "account executive"}},
	{SeniorityDirector, []string{"chief of staff"}},
	{SeniorityCLevel, []string{"ceo", "cfo", "cto", "coo", "cmo", "cro", "cio", "ciso", "cpo", "cco", "cdo", "cso", "chro",
		"cgo", "cxo", "cao", "cbo", "cno", "chief executive", "founder", "cofounder", "co founder", "managing director",
		"managing partner", "general partner", "founding partner", "chairman", "chairwoman", "chairperson",
		"executive director", "director general", "directeur general", "pdg", "geschaftsfuhrer", "geschaftsfuhrerin",
		"inhaber", "inhaberin"}},
	{SeniorityVP, []string{"vice president", "vicepresident", "vice pres", "v p", "vp", "svp", "evp", "avp", "rvp", "gvp", "vps"}},
	{SeniorityHead, []string{"head", "heads", "leiter", "leiterin", "jefe", "jefa"}},
	{SeniorityDirector, []string{"director", "directors", "dir", "directeur", "directrice", "directora", "diretor", "diretora", "direktor", "direktorin"}},
	{SeniorityManager, []string{"manager", "managers", "mgr", "supervisor", "team lead", "team leader", "tech lead",
		"group lead", "gerente", "responsable"}},
})

// functionRules: ordered so that the qualifier wins over the generic word
// (revenue operations → revenue, product marketing → marketing, sales
// engineer → sales, people operations → hr).
var functionRules = compileRules([]titleRule{
	{FunctionRevenue, []string{"revenue", "revops", "rev ops", "cro"}},
	{FunctionGrowth, []string{"growth", "cgo"}},
	{FunctionSales, []string{"sales", "business development", "bizdev", "biz dev", "bdr", "sdr", "ae", "account executive",
		"account manager", "account director", "key account", "presales", "pre sales", "commercial", "vertrieb", "ventas", "ventes"}},
	{FunctionMarketing, []string{"marketing", "marketer", "cmo", "brand", "demand generation", "demand gen", "lead generation",
		"lead gen", "content", "seo", "sem", "communications", "comms", "social media", "advertising", "events", "pr"}},
	{FunctionHR, []string{"hr", "human resources", "people", "talent", "recruiter", "recruiting", "recruitment", "chro",
		"personnel", "hrbp", "people operations"}},
	{FunctionFinance, []string{"finance", "financial", "cfo", "accounting", "accountant", "controller", "comptroller",
		"treasurer", "treasury", "fp a", "fpa", "audit", "auditor", "tax", "bookkeeper", "payroll"}},
	{FunctionIT, []string{"it", "information technology", "cio", "ciso", "infrastructure", "sysadmin", "system administrator",
		"systems administrator", "network", "helpdesk", "help desk", "security", "cybersecurity", "cyber"}},
	{FunctionEngineering, []string{"engineering", "engineer", "engineers", "developer", "software", "cto",
		"devops", "sre", "programmer", "architect", "data scientist", "qa", "r d", "research and development"}},
	{FunctionProduct, []string{"product", "products", "cpo", "ux", "ui", "design", "designer"}},
	{FunctionOperations, []string{"operations", "ops", "coo", "logistics", "supply chain", "procurement", "purchasing", "facilities"}},
})

// compileRules pads each phrase with spaces once, for word-boundary matching
// against a padded title.
func compileRules(rules []titleRule) []titleRule {
	for i := range rules {
		for j, p := range rules[i].phrases {
			rules[i].phrases[j] = " " + p + " "
		}
	}
	return rules
}

func matchRule(rules []titleRule, padded string) string {
	for _, r := range rules {
		for _, p := range r.phrases {
			if strings.Contains(padded, p) {
				return r.value
			}
		}
	}
	return ""
}

// paddedTitle folds a title to " words like this " for phrase matching:
// "Dir. of Marketing" → " dir of marketing ", "VP, Sales & Marketing" →
// " vp sales and marketing ". Dots become spaces here (unlike country
// names): "V.P." must read as "v p" and "Dir." as "dir".
func paddedTitle(title string) string {
	return " " + foldKey(titleSeparators.Replace(title)) + " "
}

var titleSeparators = strings.NewReplacer(".", " ", "/", " ", "-", " ")

// ClassifyTitle derives the seniority (SeniorityCLevel … SeniorityIndividual)
// and function (FunctionSales … FunctionOther) of a job title, e.g.
// "Chief Revenue Officer" → c_level, revenue; "Dir. of Marketing" →
// director, marketing; "Head of Growth" → head, growth. A title with no known
// level is individual and one with no known function is other; an empty
// title yields "", "" (unknown, not individual). It never fails.
func ClassifyTitle(title string) (seniority, function string) {
	if strings.TrimSpace(title) == "" {
		return "", ""
	}
	p := paddedTitle(title)
	seniority = matchRule(seniorityRules, p)
	// Spelled-out officers outrank whatever else the title says ("SVP &
	// Chief Revenue Officer"), but not the exceptions ("Assistant to the
	// President").
	if seniority != SeniorityIndividual && seniority != SeniorityCLevel && isOfficer(p) {
		seniority = SeniorityCLevel
	}
	if seniority == "" {
		seniority = SeniorityIndividual
	}
	function = matchRule(functionRules, p)
	if function == "" {
		function = FunctionOther
	}
	return seniority, function
}

// isOfficer reports a C-level title spelled out ("Chief Growth Officer"), a
// president who is not a vice president, or an owner of a business (not a
// product owner).
func isOfficer(p string) bool {
	if strings.Contains(p, " chief ") && strings.Contains(p, " officer ") {
		return true
	}
	if strings.Contains(p, " president ") && !strings.Contains(p, " vice president ") {
		return true
	}
	if strings.Contains(p, " owner ") {
		for _, not := range roleOwners {
			if strings.Contains(p, not) {
				return false
			}
		}
		return true
	}
	return false
}

// roleOwners own a thing inside a company, not the company.
var roleOwners = []string{" product owner ", " process owner ", " account owner ", " data owner ", " system owner ", " service owner ", " content owner "}
