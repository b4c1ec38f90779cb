package cloudbox

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRefs(t *testing.T) {
	tests := []struct {
		name string
		json string
		want []string
	}{
		{"ref", `{"Ref":"Table"}`, []string{"Table"}},
		{"getatt", `{"Fn::GetAtt":["Queue","Arn"]}`, []string{"Queue"}},
		{"sub", `{"Fn::Sub":"arn:${AWS::Partition}:x:${Bus.Arn}/${Api}"}`, []string{"Api", "Bus"}},
		{"nested", `{"Fn::Join":["",[{"Ref":"A"},{"x":[{"Ref":"B"}]}]]}`, []string{"A", "B"}},
		{"none", `{"Value":"plain"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tc.json), &v); err != nil {
				t.Fatal(err)
			}
			got := refs(v)
			sort.Strings(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("refs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReplaceRefs(t *testing.T) {
	var v any
	if err := json.Unmarshal([]byte(`{"a":{"Ref":"Secret"},"b":[{"Ref":"Other"},{"Ref":"Secret","x":1}]}`), &v); err != nil {
		t.Fatal(err)
	}
	got := replaceRefs(v, map[string]any{"Secret": "arn:secret"})
	want := map[string]any{"a": "arn:secret", "b": []any{map[string]any{"Ref": "Other"}, map[string]any{"Ref": "Secret", "x": 1.0}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("replaceRefs (-want +got):\n%s", diff)
	}
}

func TestKeepExisting(t *testing.T) {
	resources := map[string]*resource{"Kept": {}}
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"list", []any{"Kept", "Gone"}, []any{"Kept"}},
		{"all gone", []any{"Gone"}, nil},
		{"string", "Kept", []any{"Kept"}},
		{"absent", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, keepExisting(tc.in, resources)); diff != "" {
				t.Errorf("keepExisting (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGeneratedSecret(t *testing.T) {
	got, err := generatedSecret(map[string]any{"GenerateSecretString": map[string]any{
		"SecretStringTemplate": `{"api_keys":[]}`, "GenerateStringKey": "hmac_secret", "PasswordLength": 48.0,
	}})
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		APIKeys []string `json:"api_keys"`
		HMAC    string   `json:"hmac_secret"`
	}
	if err := json.Unmarshal([]byte(got), &v); err != nil || len(v.HMAC) != 48 || v.APIKeys == nil {
		t.Errorf("secret %q (%v): want the template with a 48-character hmac_secret", got, err)
	}
	plain, err := generatedSecret(map[string]any{})
	if err != nil || len(plain) != 32 {
		t.Errorf("plain secret %q (%v), want 32 characters", plain, err)
	}
}

func TestQueueARN(t *testing.T) {
	got := queueARN("https://sqs.us-east-1.amazonaws.com/123456789012/Leadflow-EnrichQueue-X")
	if want := "arn:aws:sqs:us-east-1:123456789012:Leadflow-EnrichQueue-X"; got != want {
		t.Errorf("queueARN = %q, want %q", got, want)
	}
}
