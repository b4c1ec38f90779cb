package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWriteUnits(t *testing.T) {
	big := `{"S":"` + strings.Repeat("a", 1500) + `"}`
	tests := []struct {
		name, op, body string
		want           float64
	}{
		{"small put", "PutItem", `{"Item":{"pk":{"S":"x"}}}`, 1},
		{"put over 1 KB", "PutItem", `{"Item":{"pk":` + big + `}}`, 2},
		{"update", "UpdateItem", `{"Key":{}}`, 1},
		{"transaction doubles", "TransactWriteItems", `{"TransactItems":[{"Put":{"Item":{"pk":{"S":"x"}}}},{"ConditionCheck":{}}]}`, 4},
		{"batch", "BatchWriteItem", `{"RequestItems":{"t":[{"DeleteRequest":{}},{"PutRequest":{"Item":{"a":{"S":"b"}}}}]}}`, 2},
		{"read", "GetItem", `{}`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := writeUnits(tc.op, []byte(tc.body)); got != tc.want {
				t.Errorf("writeUnits = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReadUnits(t *testing.T) {
	tests := []struct {
		name, op, body string
		want           float64
	}{
		{"get", "GetItem", `{"Item":{"pk":{"S":"x"}}}`, 1},
		{"get missing", "GetItem", `{}`, 1},
		{"query sums items", "Query", `{"Items":[{"a":{"S":"` + strings.Repeat("a", 3000) + `"}},{"b":{"S":"` + strings.Repeat("a", 3000) + `"}}]}`, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := readUnits(tc.op, []byte(tc.body)); got != tc.want {
				t.Errorf("readUnits = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name, service, target, path string
		want                        [2]string
	}{
		{"json target", "dynamodb", "DynamoDB_20120810.PutItem", "/", [2]string{"dynamodb", "PutItem"}},
		{"ses v2 rest", "ses", "", "/v2/email/outbound-emails", [2]string{"ses", "SendEmail"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1"+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/"+tc.service+"/aws4_request, SignedHeaders=host")
			if tc.target != "" {
				r.Header.Set("X-Amz-Target", tc.target)
			}
			s, op := classify(r)
			if diff := cmp.Diff(tc.want, [2]string{s, op}); diff != "" {
				t.Errorf("classify (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSymbolPackage(t *testing.T) {
	tests := map[string]string{
		"github.com/aws/aws-sdk-go-v2/service/sesv2/types.(*X).M": "github.com/aws/aws-sdk-go-v2/service/sesv2/types",
		"cel.dev/cel-go/cel.NewEnv":                               "cel.dev/cel-go/cel",
		"slices.Sort[go.shape.int]":                               "slices",
		"runtime.mallocgc":                                        "runtime",
		"type:*github.com/a/b.T":                                  "runtime metadata",
	}
	for sym, want := range tests {
		if got := symbolPackage(sym); got != want {
			t.Errorf("symbolPackage(%q) = %q, want %q", sym, got, want)
		}
	}
	modules := []string{"github.com/aws/aws-sdk-go-v2/service/sesv2", "github.com/aws/aws-sdk-go-v2"}
	for pkg, want := range map[string]string{
		"github.com/aws/aws-sdk-go-v2/service/sesv2/types": "github.com/aws/aws-sdk-go-v2/service/sesv2",
		"github.com/aws/aws-sdk-go-v2/aws":                 "github.com/aws/aws-sdk-go-v2",
		"net/http":                                         "std",
	} {
		if got := moduleOf(pkg, modules); got != want {
			t.Errorf("moduleOf(%q) = %q, want %q", pkg, got, want)
		}
	}
}

func TestPercentileAndBilling(t *testing.T) {
	durs := []time.Duration{5 * time.Millisecond, 1 * time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond}
	if got := pct(durs, 50); got != 2*time.Millisecond {
		t.Errorf("p50 = %s, want 2ms", got)
	}
	if got := pct(durs, 100); got != 5*time.Millisecond {
		t.Errorf("max = %s, want 5ms", got)
	}
	// 1.2 ms in AWS bills 2 ms; 0.4 ms handler + 1 call of 10 ms bills 11 ms.
	calls := []warmCall{{duration: 1200 * time.Microsecond}, {duration: 50 * time.Millisecond, waited: 49600 * time.Microsecond, requests: 1}}
	if got, want := billedSeconds(calls), (2.0+11.0)/2/1000; got != want {
		t.Errorf("billedSeconds = %v, want %v", got, want)
	}
}
