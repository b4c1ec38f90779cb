package stack_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/infra/stack"
	"github.com/leadflow/leadflow/shared/awsenv"
	"github.com/leadflow/leadflow/shared/dynamo"
)

func TestFunctionDeclaration(t *testing.T) {
	byName := map[string]stack.Function{}
	triggers := map[stack.Trigger]int{}
	for _, f := range stack.Functions() {
		if _, dup := byName[f.Name]; dup {
			t.Errorf("function %q declared twice", f.Name)
		}
		byName[f.Name] = f
		triggers[f.Trigger]++
	}
	for _, r := range events.Routes {
		f, ok := byName[string(r.Consumer)]
		if !ok || f.Trigger != stack.TriggerQueue {
			t.Errorf("consumer %q has no queue-triggered function", r.Consumer)
		}
		if f.Access&stack.AccessTable == 0 {
			t.Errorf("consumer %q is granted no table access: add it to consumerAccess", r.Consumer)
		}
	}
	for _, tr := range []stack.Trigger{stack.TriggerNurtureTimer, stack.TriggerSLATimer, stack.TriggerDaily} {
		if triggers[tr] != 1 {
			t.Errorf("trigger %d has %d functions, want 1", tr, triggers[tr])
		}
	}
}

func TestEveryFunction(t *testing.T) {
	s := synth(t)
	noPanic(t, func() {
		s.assert.ResourceCountIs(strPtr("AWS::Lambda::Function"), float64Ptr(float64(len(stack.Functions()))))
	})
	noPanic(t, func() {
		s.assert.AllResourcesProperties(strPtr("AWS::Lambda::Function"), assertions.Match_ObjectLike(&map[string]any{
			"Runtime":       "provided.al2023",
			"Handler":       "bootstrap",
			"Architectures": []any{"arm64"},
			"MemorySize":    128,
			"TracingConfig": map[string]any{"Mode": "Active"},
			"LoggingConfig": map[string]any{"LogGroup": assertions.Match_AnyValue()},
			"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
				awsenv.Config: "/var/task/" + stack.ConfigFileName,
			})},
		}))
	})
	for id, lg := range s.tpl.ofType("AWS::Logs::LogGroup") {
		if lg.Properties["RetentionInDays"] == nil {
			t.Errorf("log group %s keeps logs forever", id)
		}
	}
}

// TestGrants checks each function's role against its declared Access: what
// it may do and, as much, what it may not.
func TestGrants(t *testing.T) {
	s := synth(t)
	probes := []struct {
		bit    stack.Access
		action string
		env    string
	}{
		{stack.AccessTable, "dynamodb:PutItem", awsenv.Table},
		{stack.AccessPublish, "events:PutEvents", awsenv.Bus},
		{stack.AccessSendEnrich, "sqs:SendMessage", awsenv.Queue(events.ConsumerEnrich)},
		{stack.AccessNurtureTimers, "states:StartExecution", awsenv.NurtureMachine},
		{stack.AccessSLATimers, "states:StartExecution", awsenv.SLAMachine},
		{stack.AccessEmail, "ses:SendEmail", awsenv.SenderEmail},
		{stack.AccessSlackSecret, "secretsmanager:GetSecretValue", awsenv.SlackSecret},
		{stack.AccessWebhookSecret, "secretsmanager:GetSecretValue", awsenv.WebhookSecret},
	}
	for _, f := range stack.Functions() {
		t.Run(f.Name, func(t *testing.T) {
			id := s.tpl.functionID(t, f.Name)
			fn := s.tpl.Resources[id].Properties
			actions := s.tpl.roleActions(intrinsic(fn["Role"]))
			vars, _ := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
			for _, p := range probes {
				_, hasEnv := vars[p.env]
				if want := f.Access&p.bit != 0; hasEnv != want {
					t.Errorf("env %s set = %v, want %v", p.env, hasEnv, want)
				}
				if f.Access&p.bit != 0 && !actions[p.action] {
					t.Errorf("access %b: no %s in the role", p.bit, p.action)
				}
			}
			// The absence of a capability, probed by one action each.
			denied := map[string]stack.Access{
				"dynamodb:PutItem":              stack.AccessTable,
				"events:PutEvents":              stack.AccessPublish,
				"sqs:SendMessage":               stack.AccessSendEnrich,
				"states:StartExecution":         stack.AccessNurtureTimers | stack.AccessSLATimers,
				"ses:SendEmail":                 stack.AccessEmail,
				"secretsmanager:GetSecretValue": stack.AccessSlackSecret | stack.AccessWebhookSecret,
			}
			for action, bits := range denied {
				if f.Access&bits == 0 && actions[action] {
					t.Errorf("role allows %s without the access for it", action)
				}
			}
		})
	}
}

// roleActions returns every action the policies attached to a role allow.
func (c cfnTemplate) roleActions(role string) map[string]bool {
	out := map[string]bool{}
	for _, p := range c.ofType("AWS::IAM::Policy") {
		attached := false
		for _, r := range asSlice(p.Properties["Roles"]) {
			attached = attached || intrinsic(r) == role
		}
		if !attached {
			continue
		}
		for _, st := range statements(p.Properties["PolicyDocument"]) {
			for _, a := range asSlice(st["Action"]) {
				out[fmt.Sprint(a)] = true
			}
		}
	}
	return out
}

// TestIAMWildcards walks every Allow statement: no wildcard DynamoDB (or
// any "*") action, and "Resource: *" only for actions without resource-level
// permissions.
func TestIAMWildcards(t *testing.T) {
	s := synth(t)
	resourceless := map[string]bool{
		"xray:PutTraceSegments": true, "xray:PutTelemetryRecords": true, "xray:GetSamplingRules": true, "xray:GetSamplingTargets": true,
		"logs:CreateLogDelivery": true, "logs:GetLogDelivery": true, "logs:UpdateLogDelivery": true, "logs:DeleteLogDelivery": true,
		"logs:ListLogDeliveries": true, "logs:PutResourcePolicy": true, "logs:DescribeResourcePolicies": true, "logs:DescribeLogGroups": true,
	}
	n := 0
	for id, r := range s.tpl.Resources {
		var docs []any
		switch r.Type {
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy":
			docs = append(docs, r.Properties["PolicyDocument"])
		case "AWS::IAM::Role":
			if len(asSlice(r.Properties["ManagedPolicyArns"])) > 0 {
				t.Errorf("role %s uses managed policies %v", id, r.Properties["ManagedPolicyArns"])
			}
			for _, p := range asSlice(r.Properties["Policies"]) {
				docs = append(docs, p.(map[string]any)["PolicyDocument"])
			}
		}
		for _, doc := range docs {
			for _, st := range statements(doc) {
				n++
				if st["Effect"] != "Allow" {
					continue // a Deny (enforce SSL) may be broad
				}
				for _, a := range asSlice(st["Action"]) {
					action := fmt.Sprint(a)
					if action == "*" || strings.HasSuffix(action, ":*") {
						t.Errorf("%s allows wildcard action %s", id, action)
					}
					for _, res := range asSlice(st["Resource"]) {
						if res == "*" && !resourceless[action] {
							t.Errorf("%s allows %s on every resource", id, action)
						}
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no policy statements found")
	}
}

func statements(doc any) []map[string]any {
	var out []map[string]any
	d, _ := doc.(map[string]any)
	for _, st := range asSlice(d["Statement"]) {
		if m, ok := st.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// asSlice reads a CloudFormation value that may be one item or a list.
func asSlice(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	default:
		return []any{v}
	}
}

func float64Ptr(f float64) *float64 { return &f }

// TestQueues: each consumer has a queue with a DLQ (maxReceiveCount 5),
// SSE, a visibility timeout at least six times its function's timeout, and an
// event source mapping that reports batch item failures.
func TestQueues(t *testing.T) {
	s := synth(t)
	queues := s.tpl.ofType("AWS::SQS::Queue")
	if got, want := len(queues), 2*len(events.Routes); got != want {
		t.Errorf("%d queues, want %d (one queue and one DLQ per consumer)", got, want)
	}
	dlqs := map[string]bool{}
	for id, q := range queues {
		if q.Properties["SqsManagedSseEnabled"] != true && q.Properties["KmsMasterKeyId"] == nil {
			t.Errorf("queue %s is not encrypted", id)
		}
		if rp, ok := q.Properties["RedrivePolicy"].(map[string]any); ok {
			if rp["maxReceiveCount"] != float64(5) {
				t.Errorf("queue %s maxReceiveCount = %v, want 5", id, rp["maxReceiveCount"])
			}
			dlqs[intrinsic(rp["deadLetterTargetArn"])] = true
		}
	}
	for id := range queues {
		_, redrive := queues[id].Properties["RedrivePolicy"]
		if !redrive && !dlqs[id] {
			t.Errorf("queue %s has no DLQ and is no DLQ", id)
		}
	}
	if len(dlqs) != len(events.Routes) {
		t.Errorf("%d DLQs, want %d", len(dlqs), len(events.Routes))
	}
	mappings := s.tpl.ofType("AWS::Lambda::EventSourceMapping")
	if len(mappings) != len(events.Routes) {
		t.Errorf("%d event source mappings, want %d", len(mappings), len(events.Routes))
	}
	for id, m := range mappings {
		if diff := cmp.Diff([]any{"ReportBatchItemFailures"}, m.Properties["FunctionResponseTypes"]); diff != "" {
			t.Errorf("mapping %s FunctionResponseTypes (-want +got):\n%s", id, diff)
		}
		q := queues[intrinsic(m.Properties["EventSourceArn"])]
		fn := s.tpl.Resources[intrinsic(m.Properties["FunctionName"])]
		vis, _ := q.Properties["VisibilityTimeout"].(float64)
		timeout, _ := fn.Properties["Timeout"].(float64)
		if timeout == 0 || vis < 6*timeout {
			t.Errorf("mapping %s: visibility timeout %v < 6 × function timeout %v", id, vis, timeout)
		}
	}
}

// TestRules: one rule per consumer, matching source leadflow and exactly
// the consumer's detail types of events.Routes, targeting the queue its
// function consumes.
func TestRules(t *testing.T) {
	s := synth(t)
	consumerOfQueue := map[string]string{}
	for _, m := range s.tpl.ofType("AWS::Lambda::EventSourceMapping") {
		fn := s.tpl.Resources[intrinsic(m.Properties["FunctionName"])]
		consumerOfQueue[intrinsic(m.Properties["EventSourceArn"])] = strings.TrimPrefix(fmt.Sprint(fn.Properties["Description"]), "leadflow ")
	}
	got := map[string][]string{}
	for id, r := range s.tpl.ofType("AWS::Events::Rule") {
		pattern, _ := r.Properties["EventPattern"].(map[string]any)
		if diff := cmp.Diff([]any{events.Source}, pattern["source"]); diff != "" {
			t.Errorf("rule %s source (-want +got):\n%s", id, diff)
		}
		targets := asSlice(r.Properties["Targets"])
		if len(targets) != 1 {
			t.Errorf("rule %s has %d targets, want 1", id, len(targets))
			continue
		}
		consumer := consumerOfQueue[intrinsic(targets[0].(map[string]any)["Arn"])]
		for _, dt := range asSlice(pattern["detail-type"]) {
			got[consumer] = append(got[consumer], fmt.Sprint(dt))
		}
	}
	want := map[string][]string{}
	for _, r := range events.Routes {
		for _, dt := range r.DetailTypes {
			want[string(r.Consumer)] = append(want[string(r.Consumer)], string(dt))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules (-events.Routes +template):\n%s", diff)
	}
}

func TestTable(t *testing.T) {
	s := synth(t)
	tables := s.tpl.ofType("AWS::DynamoDB::Table")
	if len(tables) != 1 {
		t.Fatalf("%d tables, want 1", len(tables))
	}
	noPanic(t, func() {
		s.assert.HasResourceProperties(strPtr("AWS::DynamoDB::Table"), map[string]any{
			"KeySchema": []any{
				map[string]any{"AttributeName": dynamo.AttrPK, "KeyType": "HASH"},
				map[string]any{"AttributeName": dynamo.AttrSK, "KeyType": "RANGE"},
			},
			"BillingMode":                      "PAY_PER_REQUEST",
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
			"SSESpecification":                 map[string]any{"SSEEnabled": true},
			"TimeToLiveSpecification":          map[string]any{"AttributeName": dynamo.AttrTTL, "Enabled": true},
		})
	})
	type gsi struct{ Name, PK, SK, Projection string }
	var want, got []gsi
	for name, keys := range dynamo.Indexes {
		want = append(want, gsi{name, keys[0], keys[1], "ALL"})
	}
	for _, tbl := range tables {
		for _, g := range asSlice(tbl.Properties["GlobalSecondaryIndexes"]) {
			m := g.(map[string]any)
			ks := asSlice(m["KeySchema"])
			key := func(i int) string { return fmt.Sprint(ks[i].(map[string]any)["AttributeName"]) }
			got = append(got, gsi{fmt.Sprint(m["IndexName"]), key(0), key(1), fmt.Sprint(m["Projection"].(map[string]any)["ProjectionType"])})
		}
	}
	byName := func(a, b gsi) bool { return a.Name < b.Name }
	sortGSIs := func(g []gsi) { sort.Slice(g, func(i, j int) bool { return byName(g[i], g[j]) }) }
	sortGSIs(want)
	sortGSIs(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GSIs (-shared/dynamo +template):\n%s", diff)
	}
}

// TestAlarms: an alarm on every DLQ's depth and on every function's errors.
func TestAlarms(t *testing.T) {
	s := synth(t)
	alarmed := map[string]bool{} // logical ids of watched queues and functions
	for _, a := range s.tpl.ofType("AWS::CloudWatch::Alarm") {
		if a.Properties["ComparisonOperator"] != "GreaterThanThreshold" || a.Properties["Threshold"] != float64(0) {
			continue
		}
		if len(asSlice(a.Properties["AlarmActions"])) == 0 {
			t.Errorf("alarm %v has no action", a.Properties["AlarmDescription"])
		}
		for _, d := range asSlice(a.Properties["Dimensions"]) {
			dim := d.(map[string]any)
			switch {
			case a.Properties["MetricName"] == "ApproximateNumberOfMessagesVisible" && dim["Name"] == "QueueName":
				alarmed[intrinsic(dim["Value"])] = true
			case a.Properties["MetricName"] == "Errors" && dim["Name"] == "FunctionName":
				alarmed[intrinsic(dim["Value"])] = true
			}
		}
	}
	for id, q := range s.tpl.ofType("AWS::SQS::Queue") {
		if _, isMain := q.Properties["RedrivePolicy"]; !isMain && !alarmed[id] {
			t.Errorf("DLQ %s has no depth alarm", id)
		}
	}
	for _, f := range stack.Functions() {
		if !alarmed[s.tpl.functionID(t, f.Name)] {
			t.Errorf("function %s has no errors alarm", f.Name)
		}
	}
}

func TestHTTPAPI(t *testing.T) {
	s := synth(t)
	want := map[string]string{}
	for _, f := range stack.Functions() {
		for _, r := range f.Routes {
			auth := "NONE"
			if f.Trigger == stack.TriggerInternalAPI {
				auth = "AWS_IAM"
			}
			want[r.Method+" "+r.Path] = auth
		}
	}
	got := map[string]string{}
	for _, r := range s.tpl.ofType("AWS::ApiGatewayV2::Route") {
		auth, _ := r.Properties["AuthorizationType"].(string)
		if auth == "" {
			auth = "NONE"
		}
		got[fmt.Sprint(r.Properties["RouteKey"])] = auth
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("routes → authorization (-declared +template):\n%s", diff)
	}
	noPanic(t, func() {
		s.assert.HasResourceProperties(strPtr("AWS::ApiGatewayV2::Stage"), map[string]any{
			"StageName":  "$default",
			"AutoDeploy": true,
			"DefaultRouteSettings": map[string]any{
				"ThrottlingRateLimit":  stack.DefaultThrottleRate,
				"ThrottlingBurstLimit": stack.DefaultThrottleBurst,
			},
			"AccessLogSettings": assertions.Match_ObjectLike(&map[string]any{"Format": assertions.Match_AnyValue()}),
		})
	})
	noPanic(t, func() {
		s.assert.HasResourceProperties(strPtr("AWS::ApiGatewayV2::Api"), map[string]any{
			"ProtocolType":      "HTTP",
			"CorsConfiguration": assertions.Match_ObjectLike(&map[string]any{"AllowOrigins": s.config.CORSOrigins}),
		})
	})
}

func TestTimersAndSchedule(t *testing.T) {
	s := synth(t)
	machines := s.tpl.ofType("AWS::StepFunctions::StateMachine")
	if len(machines) != 2 {
		t.Fatalf("%d state machines, want 2", len(machines))
	}
	noPanic(t, func() {
		s.assert.AllResourcesProperties(strPtr("AWS::StepFunctions::StateMachine"), assertions.Match_ObjectLike(&map[string]any{
			"StateMachineType":     "STANDARD",
			"TracingConfiguration": map[string]any{"Enabled": true},
			"LoggingConfiguration": assertions.Match_ObjectLike(&map[string]any{"Level": "ALL", "IncludeExecutionData": false}),
		}))
	})
	invoked := map[string]bool{}
	for id := range machines {
		def := s.definition(t, id)
		states, _ := def["States"].(map[string]any)
		wait, call, choice := states["Wait"].(map[string]any), states["Call"].(map[string]any), states["IsDone"].(map[string]any)
		if def["StartAt"] != "Wait" || wait["TimestampPath"] != "$.at" || wait["Next"] != "Call" {
			t.Errorf("%s: does not start by waiting until $.at: %v", id, wait)
		}
		retried := false
		for _, r := range asSlice(call["Retry"]) {
			retried = retried || r.(map[string]any)["BackoffRate"] == float64(2)
		}
		if !retried || call["Next"] != "IsDone" {
			t.Errorf("%s: Call has no retry with backoff or does not go to IsDone: %v", id, call)
		}
		choices := asSlice(choice["Choices"])
		if len(choices) != 1 || choices[0].(map[string]any)["Variable"] != "$.result.done" || states["Advance"].(map[string]any)["Next"] != "Wait" {
			t.Errorf("%s: IsDone does not loop back to Wait until $.result.done: %v", id, choice)
		}
		invoked[strings.TrimPrefix(fmt.Sprint(s.tpl.Resources[s.functionOfDefinition(id)].Properties["Description"]), "leadflow ")] = true
	}
	if diff := cmp.Diff(map[string]bool{"touch": true, "sla": true}, invoked); diff != "" {
		t.Errorf("functions called by the machines (-want +got):\n%s", diff)
	}
	noPanic(t, func() {
		s.assert.HasResourceProperties(strPtr("AWS::Scheduler::Schedule"), map[string]any{
			"ScheduleExpression": "rate(1 day)",
			"Target": assertions.Match_ObjectLike(&map[string]any{
				"Arn":     map[string]any{"Fn::GetAtt": []any{s.tpl.functionID(t, "sweep"), "Arn"}},
				"RoleArn": assertions.Match_AnyValue(),
			}),
		})
	})
}

func TestOutputs(t *testing.T) {
	s := synth(t)
	want := []string{"ApiUrl", "TableName", "BusName", "NurtureStateMachineArn", "SlaStateMachineArn"}
	for _, r := range events.Routes {
		c := string(r.Consumer)
		want = append(want, "QueueUrl"+strings.ToUpper(c[:1])+c[1:])
	}
	for _, o := range want {
		if _, ok := s.tpl.Outputs[o]; !ok {
			t.Errorf("no output %s", o)
		}
	}
}
