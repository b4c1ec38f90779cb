// Package sfn implements the Scheduler port with Step Functions: a timer is
// an execution of the state machine of its kind, named after the timer's
// key, that waits until the timer is due and then calls the timer Lambda.
package sfn

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/internal/awserr"
	"github.com/leadflow/leadflow/shared/internal/awsjson"
	"github.com/leadflow/leadflow/shared/internal/resname"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// MaxNameLen is the longest execution name Step Functions accepts.
const MaxNameLen = 80

// The operations the scheduler calls.
var (
	startExecution = awsjson.Operation{Name: "StartExecution"}
	stopExecution  = awsjson.Operation{Name: "StopExecution"}
)

type startExecutionInput struct {
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Input           string `json:"input"`
}

type stopExecutionInput struct {
	ExecutionArn string `json:"executionArn"`
}

// Scheduler starts and stops timer executions. It is safe for concurrent
// use.
type Scheduler struct {
	client   awsjson.Caller
	machines map[string]string
}

var _ pipeline.Scheduler = (*Scheduler)(nil)

// New returns a Scheduler that runs a timer of kind k on the state machine
// ARN machines[k] (pipeline.TimerSLA and pipeline.TimerNurture; the stack
// passes them in LEADFLOW_SLA_STATE_MACHINE and
// LEADFLOW_NURTURE_STATE_MACHINE). The client, a Step Functions caller,
// is built once at cold start.
func New(client awsjson.Caller, machines map[string]string) *Scheduler {
	return &Scheduler{client: client, machines: machines}
}

// NewFromConfig returns the Scheduler functions use: a Step Functions
// caller built from cfg.
func NewFromConfig(cfg aws.Config, machines map[string]string) *Scheduler {
	return New(awsjson.New(cfg, awsjson.StepFunctions), machines)
}

// Schedule starts an execution named ExecutionName(t.Key) with the timer as
// JSON input on the state machine of t.Kind. Scheduling a key again is a
// no-op: Step Functions keeps execution names for 90 days, including after
// the execution ends or is cancelled, so a timer that must fire again needs
// a new key. Returns EINVALID for a timer pipeline.Timer.Check refuses or
// of a kind that has no state machine, EUNAVAILABLE if Step Functions
// cannot be reached or throttles, EINTERNAL if it refuses the request as
// malformed.
func (s *Scheduler) Schedule(ctx context.Context, t pipeline.Timer) error {
	if err := t.Check(); err != nil {
		return err
	}
	arn, ok := s.machines[t.Kind]
	if !ok {
		return lead.Errorf(lead.EINVALID, "schedule timer %s: no state machine for kind %q", t.Key, t.Kind)
	}
	in, err := json.Marshal(t)
	if err != nil {
		return &lead.Error{Code: lead.EINVALID, Message: "schedule timer " + t.Key + ": encode", Err: err}
	}
	err = s.client.Call(ctx, startExecution, startExecutionInput{StateMachineArn: arn, Name: ExecutionName(t.Key), Input: string(in)}, nil)
	if awsjson.Code(err) == "ExecutionAlreadyExists" {
		return nil
	}
	return awserr.Translate("schedule timer "+t.Key, err)
}

// Cancel stops the timer's execution on every configured state machine (the
// key alone does not tell its kind). Cancelling an unknown or finished key
// is not an error. Returns EUNAVAILABLE if Step Functions cannot be reached
// or throttles, EINTERNAL if it refuses the request as malformed.
func (s *Scheduler) Cancel(ctx context.Context, key string) error {
	name := ExecutionName(key)
	arns := make([]string, 0, len(s.machines))
	for _, arn := range s.machines {
		arns = append(arns, arn)
	}
	slices.Sort(arns)
	for _, arn := range slices.Compact(arns) {
		err := s.client.Call(ctx, stopExecution, stopExecutionInput{ExecutionArn: executionARN(arn, name)}, nil)
		if err != nil && awsjson.Code(err) != "ExecutionDoesNotExist" {
			return awserr.Translate("cancel timer "+key, err)
		}
	}
	return nil
}

// executionARN derives an execution's ARN from its state machine's:
// arn:aws:states:<region>:<account>:execution:<machine>:<name>.
func executionARN(machineARN, name string) string {
	return strings.Replace(machineARN, ":stateMachine:", ":execution:", 1) + ":" + name
}

// ExecutionName maps a timer key to a valid execution name: the key itself
// when it is at most MaxNameLen characters of [A-Za-z0-9_-]; otherwise the
// key with every other character replaced by "_", cut short, and followed by
// "-" and a hash of the whole key, so distinct keys keep distinct names.
func ExecutionName(key string) string { return resname.Make(key, MaxNameLen, resname.Word) }
