package awsclient_test

import (
	"context"
	"testing"

	"github.com/leadflow/leadflow/shared/awsclient"
	"github.com/leadflow/leadflow/shared/awsenv"
)

func TestLoadEndpointOverride(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		wantRegion string
	}{
		{"default region", map[string]string{awsenv.EndpointOverride: "http://127.0.0.1:1"}, awsclient.DefaultTestRegion},
		{"region from env", map[string]string{awsenv.EndpointOverride: "http://127.0.0.1:1", "AWS_REGION": "eu-west-1"}, "eu-west-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := awsclient.Load(context.Background(), func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != tc.wantRegion {
				t.Errorf("region = %q, want %q", cfg.Region, tc.wantRegion)
			}
			if cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != tc.env[awsenv.EndpointOverride] {
				t.Errorf("base endpoint = %v, want %q", cfg.BaseEndpoint, tc.env[awsenv.EndpointOverride])
			}
			creds, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if creds.AccessKeyID != "test" || creds.SecretAccessKey != "test" {
				t.Errorf("credentials = %q/%q, want the static test pair", creds.AccessKeyID, creds.SecretAccessKey)
			}
		})
	}
}
