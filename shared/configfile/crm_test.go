package configfile

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
)

func TestDefaultCRMIsAnExampleSwitchedOff(t *testing.T) {
	c, err := Default(celrules.Compile)
	if err != nil {
		t.Fatal(err)
	}
	got := c.CRM
	if got.Enabled() {
		t.Errorf("the default config sends to %q, want the sync off", got.URL)
	}
	type summary struct {
		System, SecretEnv string
		Timeout           time.Duration
		Attempts          int
		Fields            map[string]string
		Stages, Owners    int
		MQL               string
	}
	want := summary{
		System: config.CRMHubSpot, SecretEnv: "LEADFLOW_CRM_SECRET", Timeout: 5 * time.Second, Attempts: 3,
		Fields: map[string]string{"lead_id": "leadflow_lead_id", "email": "email", "stage": "lifecyclestage", "owner": "hubspot_owner_id", "score": "leadflow_score", "disqualify_reason": "leadflow_disqualify_reason"},
		Stages: len(lead.Stages), Owners: len(c.RoutingConfig.Reps), MQL: "marketingqualifiedlead",
	}
	if diff := cmp.Diff(want, summary{got.System, got.SecretEnv, got.Timeout, got.Attempts, got.Fields, len(got.Stages), len(got.Owners), got.Stages[lead.StageMQL]}); diff != "" {
		t.Errorf("crm section (-want +got):\n%s", diff)
	}
}

func TestNoCRMSectionIsOff(t *testing.T) {
	data := string(leadflow.DefaultConfig)
	start, end := strings.Index(data, "\ncrm:\n"), strings.Index(data, "\n# Rules as code")
	if start < 0 || end < start {
		t.Fatal("crm section not found in the default config")
	}
	c, _, err := read("leadflow.yaml", []byte(data[:start+1]+data[end:]), leadflow.FS, celrules.Compile)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(config.CRM{Timeout: config.DefaultCRMTimeout, Attempts: config.DefaultCRMAttempts}, c.CRM); diff != "" {
		t.Errorf("CRM without a crm section (-want +got):\n%s", diff)
	}
}

func TestCRMErrors(t *testing.T) {
	type edit struct{ old, new string }
	tests := []struct {
		name  string
		edits []edit
		drop  string // the block starting here, up to a blank line, is removed
		// want holds messages with %d for the line of the marker of the
		// same index.
		want    []string
		markers []string
	}{
		{
			name:    "enabled over https with a secret",
			edits:   []edit{{`url: ""  `, `url: "https://crm.example.com/hook"`}, {"secret_env: LEADFLOW_CRM_SECRET", "secret: leadflow/crm"}},
			want:    []string{},
			markers: []string{},
		},
		{
			name:    "unknown system",
			edits:   []edit{{"system: hubspot", "system: pipedrive"}},
			want:    []string{`leadflow.yaml:%d: crm: system: unknown system "pipedrive" (want hubspot or salesforce)`},
			markers: []string{"system: pipedrive"},
		},
		{
			name:    "plain http to another host",
			edits:   []edit{{`url: ""  `, `url: "http://crm.example.com/hook"`}},
			want:    []string{`leadflow.yaml:%d: crm: url: must be https (plain http only to localhost)`},
			markers: []string{"http://crm.example.com"},
		},
		{
			name:    "plain http to this machine",
			edits:   []edit{{`url: ""  `, `url: "http://127.0.0.1:8099/hook"`}},
			want:    []string{},
			markers: []string{},
		},
		{
			name:    "url without a secret",
			edits:   []edit{{`url: ""  `, `url: "https://crm.example.com/hook"`}, {"secret_env: LEADFLOW_CRM_SECRET", `secret_env: ""`}},
			want:    []string{`leadflow.yaml:%d: crm: needs exactly one of secret_env (local) or secret (a Secrets Manager id) to sign requests`},
			markers: []string{"crm:\n"},
		},
		{
			name:    "bad attempts and timeout",
			edits:   []edit{{"attempts: 3 ", "attempts: 50"}, {"timeout: 5s ", "timeout: 2m "}},
			want:    []string{`leadflow.yaml:%d: crm: timeout: must be between 0 and 30s`, `leadflow.yaml:%d: crm: attempts: must be between 1 and 10`},
			markers: []string{"timeout: 2m", "attempts: 50"},
		},
		{
			name: "field mistakes",
			edits: []edit{
				{"    email: email\n", "    phone: phone\n"},
				{"score: leadflow_score", "score: LeadflowScore"},
				{"disqualify_reason: leadflow_disqualify_reason", "disqualify_reason: lifecyclestage"},
				{"    owner: hubspot_owner_id         # required\n", ""},
			},
			want: []string{
				`leadflow.yaml:%d: crm: fields.owner: missing: the CRM property for owner`,
				`leadflow.yaml:%d: crm: fields.phone: unknown field "phone" (want one of lead_id, email, stage, owner, team, queue, score, disqualify_reason, outcome, updated_at)`,
				`leadflow.yaml:%d: crm: fields.stage: property "lifecyclestage" is also the target of disqualify_reason`,
				`leadflow.yaml:%d: crm: fields.score: "LeadflowScore" is not a HubSpot internal property name (lower-case letters, digits, _)`,
			},
			markers: []string{"  fields:    ", "phone: phone", "stage: lifecyclestage", "score: LeadflowScore"},
		},
		{
			name:    "Salesforce names pass where HubSpot's would not",
			edits:   []edit{{"system: hubspot", "system: salesforce"}, {"score: leadflow_score", "score: Leadflow_Score__c"}},
			drop:    "  owners:",
			want:    []string{`leadflow.yaml:%d: crm: owners: missing: rep "ava.brooks" is not a Salesforce user id (005…, 15 or 18 characters), so every rep needs its CRM owner id here`},
			markers: []string{"crm:\n"},
		},
		{
			name:    "stage mistakes",
			edits:   []edit{{"    sal: salesqualifiedlead ", "    accepted: salesqualifiedlead "}, {"customer: customer", `customer: ""`}},
			want:    []string{`leadflow.yaml:%d: crm: stages: no CRM value for sal: the CRM must show every stage leadflow sets`, `leadflow.yaml:%d: crm: stages.accepted: unknown stage "accepted"`, `leadflow.yaml:%d: crm: stages.customer: missing: the CRM value of stage customer`},
			markers: []string{"  stages:", "accepted: salesqualifiedlead", `customer: ""`},
		},
		{
			name:    "owner mistakes",
			edits:   []edit{{`ava.brooks: "71000001"`, `ava.brookes: "71000001"`}, {`kenji.sato: "71000015"`, `kenji.sato: "kenji"`}},
			want:    []string{`leadflow.yaml:%d: crm: owners: no CRM owner id for rep ava.brooks: the CRM must show every owner leadflow assigns`, `leadflow.yaml:%d: crm: owners.ava.brookes: unknown rep "ava.brookes"`, `leadflow.yaml:%d: crm: owners.kenji.sato: "kenji" is not a numeric HubSpot owner id`},
			markers: []string{"  owners:", "ava.brookes", `"kenji"`},
		},
		{
			name:    "owners omitted while rep ids are not CRM owner ids",
			drop:    "  owners:",
			want:    []string{`leadflow.yaml:%d: crm: owners: missing: rep "ava.brooks" is not a numeric HubSpot owner id, so every rep needs its CRM owner id here`},
			markers: []string{"crm:\n"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := string(leadflow.DefaultConfig)
			for _, e := range tc.edits {
				if !strings.Contains(data, e.old) {
					t.Fatalf("%q not in the default config", e.old)
				}
				data = strings.Replace(data, e.old, e.new, 1)
			}
			if tc.drop != "" {
				from := strings.Index(data, tc.drop)
				to := from + strings.Index(data[from:], "\n\n")
				data = data[:from] + data[to+1:]
			}
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = fmt.Sprintf(w, lineOf(t, []byte(data), tc.markers[i]))
			}
			got := []string{}
			_, _, err := read("leadflow.yaml", []byte(data), leadflow.FS, celrules.Compile)
			var errs config.Errors
			if err != nil && !errors.As(err, &errs) {
				t.Fatalf("read = %v, want Errors", err)
			}
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
