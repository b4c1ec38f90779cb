// Package awsclient builds the one aws.Config a function uses for every AWS
// client. The wiring calls Load once at cold start and builds its clients from
// the result, never per invocation.
package awsclient

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/leadflow/leadflow/shared/awsenv"
	"github.com/leadflow/leadflow/shared/lead"
)

// DefaultTestRegion is the region used with an endpoint override when
// AWS_REGION is unset.
const DefaultTestRegion = "us-east-1"

// Load returns the AWS configuration of the environment read through getenv
// (os.Getenv in production). In AWS it is the SDK's default chain: the Lambda
// role's credentials and AWS_REGION. When awsenv.EndpointOverride names a
// local AWS-API server (tests, local emulators), every client built from the
// config talks to it as its base endpoint with static "test" credentials, so
// no real account can be reached by mistake. Returns EUNAVAILABLE if the
// default chain cannot be loaded.
func Load(ctx context.Context, getenv func(string) string) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if endpoint := getenv(awsenv.EndpointOverride); endpoint != "" {
		region := getenv("AWS_REGION")
		if region == "" {
			region = DefaultTestRegion
		}
		opts = append(opts,
			config.WithRegion(region),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
			config.WithBaseEndpoint(endpoint),
		)
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, &lead.Error{Code: lead.EUNAVAILABLE, Message: "load aws config", Err: err}
	}
	if cfg.Region == "" {
		return aws.Config{}, lead.Errorf(lead.EUNAVAILABLE, "load aws config: no region (set AWS_REGION)")
	}
	return cfg, nil
}
