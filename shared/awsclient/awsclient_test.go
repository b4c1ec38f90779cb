package awsclient_test

import (
	"context"
	"testing"

	"github.com/leadflow/leadflow/shared/awsclient"
	"github.com/leadflow/leadflow/shared/awsenv"
	"github.com/leadflow/leadflow/shared/lead"
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

func TestLoadLambdaEnvironment(t *testing.T) {
	lambdaEnv := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "s3cr3t", "AWS_SESSION_TOKEN": "tok"}
	cfg, err := awsclient.Load(context.Background(), func(k string) string { return lambdaEnv[k] })
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" || cfg.BaseEndpoint != nil || creds.AccessKeyID != "AKIA1" || creds.SecretAccessKey != "s3cr3t" || creds.SessionToken != "tok" {
		t.Errorf("config %q %v, credentials %+v; want the role's credentials in eu-west-1", cfg.Region, cfg.BaseEndpoint, creds)
	}
	for _, drop := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		_, err := awsclient.Load(context.Background(), func(k string) string {
			if k == drop {
				return ""
			}
			return lambdaEnv[k]
		})
		if lead.ErrorCode(err) != lead.EUNAVAILABLE {
			t.Errorf("without %s: %v, want EUNAVAILABLE", drop, err)
		}
	}
}
