package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Check applies the cdk-nag AwsSolutions rules to everything in scope: a
// finding that is not suppressed with a reason becomes an error annotation,
// and errors make `cdk synth` and `cdk deploy` fail.
func Check(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// suppress accepts one cdk-nag finding on construct and its children.
func suppress(construct constructs.IConstruct, rule, reason string) {
	cdknag.NagSuppressions_AddResourceSuppressions(construct, &[]*cdknag.NagPackSuppression{
		{Id: &rule, Reason: &reason},
	}, jsii.Bool(true))
}

// addNagSuppressions accepts the wildcard resources that the Grant*
// methods produce for leadflow's own resources, each pattern with its
// reason. Every other wildcard is still an error; the tests also check that
// "Resource: *" carries only X-Ray and log-delivery actions.
func addNagSuppressions(stack awscdk.Stack) {
	regex := func(re string) interface{} { return &cdknag.RegexAppliesTo{Regex: &re} }
	cdknag.NagSuppressions_AddStackSuppressions(stack, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("Resource::* only for actions that have no resource-level permissions: X-Ray trace upload " +
			"(functions and state machines with tracing active) and CloudWatch Logs log delivery of the state machines"),
		AppliesTo: &[]interface{}{"Resource::*"},
	}, {
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("table/index/*: the functions query the table's own GSIs (owner queue, inactivity sweep, domain lookup)"),
		AppliesTo: &[]interface{}{regex(`/^Resource::<Table[A-F0-9]{8}\.Arn>\/index\/\*$/g`)},
	}, {
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("<function ARN>:* covers the versions and aliases of that one function, invoked by its state machine or schedule"),
		AppliesTo: &[]interface{}{regex(`/^Resource::<[A-Za-z]+Function[A-F0-9]{8}\.Arn>:\*$/g`)},
	}, {
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("execution:<machine>:*: the executions of one timer state machine, stopped by timer key " +
			"(the execution name) when a timer is cancelled"),
		AppliesTo: &[]interface{}{regex(`/^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:.*(Nurture|SLA)Machine[A-F0-9]{8}.*:\*$/g`)},
	}, {
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("secret:<name>-??????: a secret named in the config by an enrichment provider; the six " +
			"characters are the random suffix Secrets Manager appends to every secret ARN"),
		AppliesTo: &[]interface{}{regex(`/^Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:[A-Za-z0-9/_+=.@-]+-\?\?\?\?\?\?$/g`)},
	}}, nil)
}
