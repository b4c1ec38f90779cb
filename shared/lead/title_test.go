package lead

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClassifyTitle(t *testing.T) {
	tests := []struct {
		title, seniority, function string
	}{
		{"Chief Revenue Officer", SeniorityCLevel, FunctionRevenue},
		{"CRO", SeniorityCLevel, FunctionRevenue},
		{"CMO", SeniorityCLevel, FunctionMarketing},
		{"Chief Marketing Officer", SeniorityCLevel, FunctionMarketing},
		{"Chief Growth Officer", SeniorityCLevel, FunctionGrowth},
		{"CEO & Co-Founder", SeniorityCLevel, FunctionOther},
		{"Founder", SeniorityCLevel, FunctionOther},
		{"Owner", SeniorityCLevel, FunctionOther},
		{"President", SeniorityCLevel, FunctionOther},
		{"CFO", SeniorityCLevel, FunctionFinance},
		{"CTO", SeniorityCLevel, FunctionEngineering},
		{"CIO", SeniorityCLevel, FunctionIT},
		{"COO", SeniorityCLevel, FunctionOperations},
		{"Managing Director", SeniorityCLevel, FunctionOther},
		{"SVP & Chief Revenue Officer", SeniorityCLevel, FunctionRevenue},
		{"SVP Sales", SeniorityVP, FunctionSales},
		{"VP, Marketing", SeniorityVP, FunctionMarketing},
		{"V.P. of Sales", SeniorityVP, FunctionSales},
		{"Vice President of Revenue Operations", SeniorityVP, FunctionRevenue},
		{"Vice-President, Growth", SeniorityVP, FunctionGrowth},
		{"EVP Engineering", SeniorityVP, FunctionEngineering},
		{"Head of Growth", SeniorityHead, FunctionGrowth},
		{"Head of People", SeniorityHead, FunctionHR},
		{"Head of Product", SeniorityHead, FunctionProduct},
		{"Dir. of Marketing", SeniorityDirector, FunctionMarketing},
		{"Director, Demand Generation", SeniorityDirector, FunctionMarketing},
		{"Sales Director EMEA", SeniorityDirector, FunctionSales},
		{"Senior Director of Finance", SeniorityDirector, FunctionFinance},
		{"Chief of Staff", SeniorityDirector, FunctionOther},
		{"RevOps Manager", SeniorityManager, FunctionRevenue},
		{"Revenue Operations Manager", SeniorityManager, FunctionRevenue},
		{"Product Marketing Manager", SeniorityManager, FunctionMarketing},
		{"Marketing Operations Manager", SeniorityManager, FunctionMarketing},
		{"Engineering Manager", SeniorityManager, FunctionEngineering},
		{"IT Manager", SeniorityManager, FunctionIT},
		{"People Operations Manager", SeniorityManager, FunctionHR},
		{"Operations Manager", SeniorityManager, FunctionOperations},
		{"Team Lead, SDR", SeniorityManager, FunctionSales},
		{"Account Executive", SeniorityIndividual, FunctionSales},
		{"Senior Account Manager", SeniorityIndividual, FunctionSales},
		{"Sales Engineer", SeniorityIndividual, FunctionSales},
		{"Growth Marketer", SeniorityIndividual, FunctionGrowth},
		{"Software Engineer", SeniorityIndividual, FunctionEngineering},
		{"Product Owner", SeniorityIndividual, FunctionProduct},
		{"Lead Generation Specialist", SeniorityIndividual, FunctionMarketing},
		{"Executive Assistant to the CEO", SeniorityIndividual, FunctionOther},
		{"Assistant to the President", SeniorityIndividual, FunctionOther},
		{"Marketing Intern", SeniorityIndividual, FunctionMarketing},
		{"Accountant", SeniorityIndividual, FunctionFinance},
		{"Recruiter", SeniorityIndividual, FunctionHR},
		{"Teacher", SeniorityIndividual, FunctionOther},
		{"Geschäftsführer", SeniorityCLevel, FunctionOther},
		{"Directeur Général", SeniorityCLevel, FunctionOther},
		{"  ", "", ""},
		{"", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.title, func(t *testing.T) {
			s, f := ClassifyTitle(tc.title)
			if diff := cmp.Diff([2]string{tc.seniority, tc.function}, [2]string{s, f}); diff != "" {
				t.Errorf("ClassifyTitle(%q) (-want +got):\n%s", tc.title, diff)
			}
		})
	}
}
