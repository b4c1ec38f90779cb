// Package cloudbox deploys leadflow's synthesized stack into a moto server
// (a local imitation of the AWS APIs) and drives leads through the deployed
// resources with the real adapters, a test driver playing Lambda's part:
// API Gateway's request to capture, and each event source mapping's poll of
// its queue. The infra tests and the Lambda benchmark use it; it needs
// python3 with moto[server] 5.2.1 installed.
package cloudbox

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/internal/moto"
	"github.com/leadflow/leadflow/shared/awsclient"
	"github.com/leadflow/leadflow/shared/awsenv"
)

// Region and Account are where moto puts every resource.
const (
	Region  = moto.Region
	Account = moto.Account
)

// Env returns the variables that aim a function at endpoint (moto, or a
// proxy in front of it) in Region, as awsclient.Load reads them.
func Env(endpoint string) map[string]string {
	return map[string]string{awsenv.EndpointOverride: endpoint, "AWS_REGION": Region}
}

// AWSConfig returns an aws.Config aimed at endpoint, built by the same
// awsclient.Load the functions use. Returns EUNAVAILABLE as Load does.
func AWSConfig(ctx context.Context, endpoint string) (aws.Config, error) {
	env := Env(endpoint)
	return awsclient.Load(ctx, func(k string) string { return env[k] })
}
