package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/jsii-runtime-go"
)

// timerFunction returns the built function of a timer trigger; Functions
// declares exactly one per timer trigger.
func timerFunction(built map[string]awslambda.Function, fns []Function) awslambda.Function {
	return built[fns[0].Name]
}

// newTimerMachine makes a standard workflow that runs one durable timer
// (input: a pipeline.Timer): wait until $.at, call fn with the timer, and
// stop when it answers {"done": true}, else wait until its next_at and call
// again. Every decision is fn's; the machine only waits and calls.
func newTimerMachine(stack awscdk.Stack, id string, fn awslambda.IFunction, alarms alarmTopic) awsstepfunctions.StateMachine {
	wait := awsstepfunctions.NewWait(stack, jsii.String(id+"Wait"), &awsstepfunctions.WaitProps{
		StateName: jsii.String("Wait"),
		Time:      awsstepfunctions.WaitTime_TimestampPath(jsii.String("$.at")),
	})
	call := awsstepfunctionstasks.NewLambdaInvoke(stack, jsii.String(id+"Call"), &awsstepfunctionstasks.LambdaInvokeProps{
		StateName:           jsii.String("Call"),
		LambdaFunction:      fn,
		PayloadResponseOnly: jsii.Bool(true),
		ResultPath:          jsii.String("$.result"),
	})
	// Beyond the Lambda service errors retried by default, a failing
	// handler is retried with backoff before the execution fails (and
	// alarms).
	call.AddRetry(&awsstepfunctions.RetryProps{
		Errors:         jsii.Strings("States.ALL"),
		Interval:       awscdk.Duration_Seconds(jsii.Number(10)),
		MaxAttempts:    jsii.Number(5),
		BackoffRate:    jsii.Number(2),
		MaxDelay:       awscdk.Duration_Minutes(jsii.Number(5)),
		JitterStrategy: awsstepfunctions.JitterType_FULL,
	})
	next := awsstepfunctions.NewPass(stack, jsii.String(id+"Next"), &awsstepfunctions.PassProps{
		StateName:  jsii.String("Advance"),
		InputPath:  jsii.String("$.result.next_at"),
		ResultPath: jsii.String("$.at"),
	})
	done := awsstepfunctions.NewSucceed(stack, jsii.String(id+"Done"), &awsstepfunctions.SucceedProps{StateName: jsii.String("Done")})
	choice := awsstepfunctions.NewChoice(stack, jsii.String(id+"Choice"), &awsstepfunctions.ChoiceProps{StateName: jsii.String("IsDone")}).
		When(awsstepfunctions.Condition_BooleanEquals(jsii.String("$.result.done"), jsii.Bool(true)), done, nil).
		Otherwise(next.Next(wait))
	logs := awslogs.NewLogGroup(stack, jsii.String(id+"MachineLogs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	sm := awsstepfunctions.NewStateMachine(stack, jsii.String(id+"Machine"), &awsstepfunctions.StateMachineProps{
		Comment:          jsii.String("leadflow " + id + " timer: wait, call, loop until done"),
		StateMachineType: awsstepfunctions.StateMachineType_STANDARD,
		DefinitionBody:   awsstepfunctions.DefinitionBody_FromChainable(wait.Next(call).Next(choice)),
		TracingEnabled:   jsii.Bool(true),
		// Execution data holds lead ids only, but is kept out of the logs
		// so no payload field ever leaks PII into them.
		Logs: &awsstepfunctions.LogOptions{Destination: logs, Level: awsstepfunctions.LogLevel_ALL, IncludeExecutionData: jsii.Bool(false)},
	})
	alarms.on(stack, id+"MachineFailed", sm.MetricFailed(nil), 0, "leadflow "+id+" timer executions failed")
	return sm
}

// newDailySchedule invokes fn once a day through EventBridge Scheduler,
// with a role that may invoke fn only.
func newDailySchedule(stack awscdk.Stack, name string, fn awslambda.Function) {
	role := awsiam.NewRole(stack, jsii.String(title(name)+"ScheduleRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": stack.Account()}},
		}),
	})
	fn.GrantInvoke(role)
	awsscheduler.NewCfnSchedule(stack, jsii.String(title(name)+"Schedule"), &awsscheduler.CfnScheduleProps{
		Description:        jsii.String("leadflow daily " + name),
		ScheduleExpression: jsii.String("rate(1 day)"),
		FlexibleTimeWindow: &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn:         fn.FunctionArn(),
			RoleArn:     role.RoleArn(),
			RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{MaximumRetryAttempts: jsii.Number(3)},
		},
	})
}
