// Package awsclient builds the one aws.Config a function uses for every AWS
// client. The wiring calls Load once at cold start and builds its clients from
// the result, never per invocation.
package awsclient

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/leadflow/leadflow/shared/awsenv"
	"github.com/leadflow/leadflow/shared/lead"
)

// DefaultTestRegion is the region used with an endpoint override when
// AWS_REGION is unset.
const DefaultTestRegion = "us-east-1"

// Load returns the AWS configuration of the environment read through getenv
// (os.Getenv in production). In Lambda that is AWS_REGION and the execution
// role's credentials, which the runtime puts in AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN for the life of the execution
// environment; reading them directly keeps the SDK's shared-config, SSO and
// STS machinery (a third of a function's binary) out of the functions. When
// awsenv.EndpointOverride names a local AWS-API server (tests, local
// emulators), every client built from the config talks to it as its base
// endpoint with static "test" credentials, so no real account can be reached
// by mistake. Returns EUNAVAILABLE when the region or the credentials are
// missing.
func Load(_ context.Context, getenv func(string) string) (aws.Config, error) {
	cfg := aws.Config{Region: getenv("AWS_REGION")}
	if endpoint := getenv(awsenv.EndpointOverride); endpoint != "" {
		if cfg.Region == "" {
			cfg.Region = DefaultTestRegion
		}
		cfg.BaseEndpoint = aws.String(endpoint)
		cfg.Credentials = credentials.NewStaticCredentialsProvider("test", "test", "")
		return cfg, nil
	}
	if cfg.Region == "" {
		return aws.Config{}, lead.Errorf(lead.EUNAVAILABLE, "load aws config: no region (set AWS_REGION)")
	}
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, lead.Errorf(lead.EUNAVAILABLE, "load aws config: no credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
	}
	cfg.Credentials = credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))
	return cfg, nil
}
