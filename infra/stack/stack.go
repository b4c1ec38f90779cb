// Package stack is leadflow's AWS CDK stack: the HTTP API, the functions
// declared by Functions, the bus with one rule and queue per consumer of
// events.Routes, the table of shared/dynamo, the nurture and SLA state
// machines, the daily sweep schedule, alarms and a dashboard. Every resource
// gets a generated name; functions learn them through the awsenv variables.
package stack

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/awsenv"
	"github.com/leadflow/leadflow/shared/dynamo"
)

// Default stage throttling of the HTTP API, requests per second and burst.
const (
	DefaultThrottleRate  = 50
	DefaultThrottleBurst = 100
)

// LeadflowStackProps configure NewLeadflowStack.
type LeadflowStackProps struct {
	awscdk.StackProps
	// Bundles maps every name of FunctionNames to the directory holding its
	// bootstrap binary and config file (see BuildFunctions).
	Bundles map[string]string
	// CORSOrigins may call the API from a browser; none means no CORS.
	CORSOrigins []string
	// SenderEmail is an address or a domain (no "@") made an SES identity
	// that notify, touch and sla send from; empty means no email sending.
	SenderEmail string
	// AlarmEmail, when set, subscribes to the alarm topic.
	AlarmEmail string
	// Slack makes a secret for the Slack incoming-webhook URL and tells
	// notify and sla to post there; set the URL right after deploying.
	Slack bool
	// ProviderSecrets are the Secrets Manager names that the config's
	// enrichment providers read their credentials from; enrich may read
	// exactly these.
	ProviderSecrets []string
	// ThrottleRate and ThrottleBurst limit the API's default stage; zero
	// means DefaultThrottleRate and DefaultThrottleBurst.
	ThrottleRate, ThrottleBurst float64
}

// resources are what the functions are granted and told about.
type resources struct {
	table     awsdynamodb.Table
	bus       awsevents.EventBus
	queues    map[events.Consumer]awssqs.Queue
	deadQs    map[events.Consumer]awssqs.Queue
	nurture   awsstepfunctions.StateMachine
	sla       awsstepfunctions.StateMachine
	identity  awsses.EmailIdentity // nil without SenderEmail
	sender    string
	slack     awssecretsmanager.Secret // nil without Slack
	providers []awssecretsmanager.ISecret
	webhook   awssecretsmanager.Secret
	// groups hold each function's resources (function, logs, queues,
	// alarms) under one construct named after it.
	groups map[string]constructs.Construct
}

// group returns the construct holding name's resources.
func (r *resources) group(stack awscdk.Stack, name string) constructs.Construct {
	if g, ok := r.groups[name]; ok {
		return g
	}
	g := constructs.NewConstruct(stack, jsii.String(title(name)))
	r.groups[name] = g
	return g
}

// NewLeadflowStack defines the whole leadflow deployment in scope. Props
// that cannot be deployed (a function without a bundle) are reported as
// errors on the stack, which make `cdk synth` fail with their message.
func NewLeadflowStack(scope constructs.Construct, id string, props *LeadflowStackProps) awscdk.Stack {
	if props == nil {
		props = &LeadflowStackProps{}
	}
	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	fns := Functions()
	var missing []string
	for _, f := range fns {
		if props.Bundles[f.Name] == "" {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		awscdk.Annotations_Of(stack).AddError(jsii.String(fmt.Sprintf("no bundle for functions %s: build them with BuildFunctions", strings.Join(missing, ", "))))
		return stack
	}

	r := &resources{
		table:  newTable(stack),
		bus:    awsevents.NewEventBus(stack, jsii.String("Bus"), &awsevents.EventBusProps{Description: jsii.String("leadflow events, source " + events.Source)}),
		queues: map[events.Consumer]awssqs.Queue{},
		deadQs: map[events.Consumer]awssqs.Queue{},
		sender: props.SenderEmail,
		groups: map[string]constructs.Construct{},
	}
	newSecrets(stack, r, props)
	if props.SenderEmail != "" {
		identity := awsses.Identity_Domain(&props.SenderEmail)
		if strings.Contains(props.SenderEmail, "@") {
			identity = awsses.Identity_Email(&props.SenderEmail)
		}
		r.identity = awsses.NewEmailIdentity(stack, jsii.String("Sender"), &awsses.EmailIdentityProps{Identity: identity})
	}
	alarms := newAlarmTopic(stack, props.AlarmEmail)
	for _, route := range events.Routes {
		newConsumerQueue(stack, r, alarms, route)
	}

	// Timer functions come first: the state machines invoke them, and
	// functions that start timers need the machines' ARNs.
	built := map[string]awslambda.Function{}
	byTrigger := map[Trigger][]Function{}
	for _, f := range fns {
		byTrigger[f.Trigger] = append(byTrigger[f.Trigger], f)
	}
	for _, f := range append(byTrigger[TriggerNurtureTimer], byTrigger[TriggerSLATimer]...) {
		built[f.Name] = newFunction(stack, r, alarms, f, props.Bundles[f.Name])
	}
	r.nurture = newTimerMachine(stack, "Nurture", timerFunction(built, byTrigger[TriggerNurtureTimer]), alarms)
	r.sla = newTimerMachine(stack, "SLA", timerFunction(built, byTrigger[TriggerSLATimer]), alarms)
	for _, f := range fns {
		if built[f.Name] == nil {
			built[f.Name] = newFunction(stack, r, alarms, f, props.Bundles[f.Name])
		}
	}

	api := newAPI(stack, props)
	for _, f := range fns {
		fn := built[f.Name]
		switch f.Trigger {
		case TriggerPublicAPI, TriggerInternalAPI:
			addRoutes(api, f, fn)
		case TriggerQueue:
			subscribe(fn, r.queues[events.Consumer(f.Name)])
		case TriggerDaily:
			newDailySchedule(stack, f.Name, fn)
		}
	}
	newDashboard(stack, r, built)
	addNagSuppressions(stack)

	output(stack, "ApiUrl", api.url, "Base URL of the HTTP API")
	output(stack, "TableName", r.table.TableName(), "DynamoDB table")
	output(stack, "BusName", r.bus.EventBusName(), "EventBridge bus")
	for _, route := range events.Routes {
		output(stack, "QueueUrl"+title(string(route.Consumer)), r.queues[route.Consumer].QueueUrl(), "queue of the "+string(route.Consumer)+" consumer")
		output(stack, "DeadLetterQueueUrl"+title(string(route.Consumer)), r.deadQs[route.Consumer].QueueUrl(), "dead-letter queue of the "+string(route.Consumer)+" consumer")
	}
	output(stack, "NurtureStateMachineArn", r.nurture.StateMachineArn(), "nurture timers")
	output(stack, "SlaStateMachineArn", r.sla.StateMachineArn(), "SLA timers")
	if r.slack != nil {
		output(stack, "SlackSecretArn", r.slack.SecretArn(), "set to the Slack incoming-webhook URL")
	}
	output(stack, "WebhookSecretArn", r.webhook.SecretArn(), "JSON keys of the signed routes: hmac_secret, api_keys, linkedin_secret")
	output(stack, "AlarmTopicArn", alarms.TopicArn(), "SNS topic of every alarm")
	return stack
}

func newTable(scope constructs.Construct) awsdynamodb.Table {
	str := func(name string) *awsdynamodb.Attribute {
		return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
	}
	table := awsdynamodb.NewTable(scope, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey:                     str(dynamo.AttrPK),
		SortKey:                          str(dynamo.AttrSK),
		BillingMode:                      awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: jsii.Bool(true)},
		Encryption:                       awsdynamodb.TableEncryption_AWS_MANAGED,
		TimeToLiveAttribute:              jsii.String(dynamo.AttrTTL),
		// Leads are customer data: `cdk destroy` keeps the table.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	names := make([]string, 0, len(dynamo.Indexes))
	for name := range dynamo.Indexes {
		names = append(names, name)
	}
	sort.Strings(names) // a stable template
	for _, name := range names {
		keys := dynamo.Indexes[name]
		table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(name),
			PartitionKey:   str(keys[0]),
			SortKey:        str(keys[1]),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
	return table
}

func newSecrets(stack awscdk.Stack, r *resources, props *LeadflowStackProps) {
	rotation := func(s constructs.IConstruct) {
		suppress(s, "AwsSolutions-SMG4", "holds a third-party credential (Slack webhook URL) or keys shared with webhook "+
			"senders: a rotation Lambda cannot renew those without the third party, so operators rotate them (README, Deploying to AWS)")
	}
	// The shape shared/wire reads, with a random HMAC secret: usable as
	// deployed, API keys and the LinkedIn secret are added by the operator.
	r.webhook = awssecretsmanager.NewSecret(stack, jsii.String("WebhookKeys"), &awssecretsmanager.SecretProps{
		Description: jsii.String("leadflow: keys of POST /v1/events, /v1/outcomes and /v1/sources/linkedin"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String(`{"api_keys":[],"linkedin_secret":""}`),
			GenerateStringKey:    jsii.String("hmac_secret"),
			ExcludePunctuation:   jsii.Bool(true),
			PasswordLength:       jsii.Number(48),
		},
	})
	rotation(r.webhook)
	if props.Slack {
		r.slack = awssecretsmanager.NewSecret(stack, jsii.String("SlackWebhook"), &awssecretsmanager.SecretProps{
			Description: jsii.String("leadflow: Slack incoming-webhook URL for owner notifications"),
		})
		rotation(r.slack)
	}
	for i, name := range props.ProviderSecrets {
		r.providers = append(r.providers, awssecretsmanager.Secret_FromSecretNameV2(stack, jsii.String(fmt.Sprintf("ProviderSecret%d", i)), jsii.String(name)))
	}
}

// newFunction makes one Lambda function with its log group, grants and
// environment, and an alarm on its errors.
func newFunction(stack awscdk.Stack, r *resources, alarms alarmTopic, f Function, bundle string) awslambda.Function {
	scope := r.group(stack, f.Name)
	logs := awslogs.NewLogGroup(scope, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	// An own role instead of the default one, whose AWS managed policy may
	// create log groups anywhere: this one writes to its log group only.
	role := awsiam.NewRole(scope, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("leadflow " + f.Name + " function"),
	})
	logs.GrantWrite(role)
	env := map[string]*string{
		awsenv.Config: jsii.String("/var/task/" + ConfigFileName),
	}
	fn := awslambda.NewFunction(scope, jsii.String("Function"), &awslambda.FunctionProps{
		Description:  jsii.String("leadflow " + f.Name),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(bundle), nil),
		MemorySize:   jsii.Number(128),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(f.timeoutSeconds())),
		Tracing:      awslambda.Tracing_ACTIVE,
		LogGroup:     logs,
		Role:         role,
		Environment:  &env,
	})
	grant(fn, r, f.Access)
	alarms.on(scope, "Errors", fn.MetricErrors(nil), 0, "leadflow "+f.Name+" function errors")
	return fn
}

// grant gives fn what access asks for, each through the resource's own
// Grant* method, and tells fn where the resource is.
func grant(fn awslambda.Function, r *resources, access Access) {
	set := func(k string, v *string) { fn.AddEnvironment(jsii.String(k), v, nil) }
	if access&AccessTable != 0 {
		r.table.GrantReadWriteData(fn)
		set(awsenv.Table, r.table.TableName())
	}
	if access&AccessPublish != 0 {
		r.bus.GrantPutEventsTo(fn, nil)
		set(awsenv.Bus, r.bus.EventBusName())
	}
	if access&AccessSendEnrich != 0 {
		q := r.queues[events.ConsumerEnrich]
		q.GrantSendMessages(fn)
		set(awsenv.Queue(events.ConsumerEnrich), q.QueueUrl())
	}
	timers := []struct {
		bit Access
		sm  awsstepfunctions.StateMachine
		env string
	}{{AccessNurtureTimers, r.nurture, awsenv.NurtureMachine}, {AccessSLATimers, r.sla, awsenv.SLAMachine}}
	for _, t := range timers {
		if access&t.bit != 0 && t.sm == nil {
			// A timer task made before the machines: its machine would
			// depend on it and it on its machine.
			awscdk.Annotations_Of(fn).AddError(jsii.String("a timer task cannot start timers: that would be a circular dependency"))
			continue
		}
		if access&t.bit != 0 {
			t.sm.GrantStartExecution(fn)
			// Cancel stops the execution named by the timer key.
			t.sm.GrantExecution(fn, jsii.String("states:StopExecution"), jsii.String("states:DescribeExecution"))
			set(t.env, t.sm.StateMachineArn())
		}
	}
	if access&AccessEmail != 0 && r.identity != nil {
		r.identity.GrantSendEmail(fn)
		set(awsenv.SenderEmail, &r.sender)
	}
	if access&AccessWebhookSecret != 0 {
		r.webhook.GrantRead(fn, nil)
		set(awsenv.WebhookSecret, r.webhook.SecretArn())
	}
	if access&AccessSlackSecret != 0 && r.slack != nil {
		r.slack.GrantRead(fn, nil)
		set(awsenv.SlackSecret, r.slack.SecretArn())
	}
	if access&AccessProviderSecrets != 0 {
		// The providers name their secrets in the config; no variable.
		for _, s := range r.providers {
			s.GrantRead(fn, nil)
		}
	}
}

func output(scope constructs.Construct, id string, value *string, description string) {
	awscdk.NewCfnOutput(scope, &id, &awscdk.CfnOutputProps{Value: value, Description: &description})
}

// title turns a function or consumer name into a construct id.
func title(name string) string {
	if name == "" {
		return name
	}
	return strings.ToUpper(name[:1]) + name[1:]
}
