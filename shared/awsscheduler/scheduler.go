// Package awsscheduler implements the Scheduler port with EventBridge
// Scheduler: a timer is a one-time at() schedule, named after the timer's
// key, that invokes the timer Lambda with the timer as input and then
// deletes itself. Unlike the Step Functions timers there is no loop: a
// timer whose handler asks to wait again is scheduled again under a new key.
package awsscheduler

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsscheduler "github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/leadflow/leadflow/shared/internal/awserr"
	"github.com/leadflow/leadflow/shared/internal/resname"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// MaxNameLen is the longest schedule name EventBridge Scheduler accepts.
const MaxNameLen = 64

// atLayout is the at() expression's time format, read in
// ScheduleExpressionTimezone (UTC here).
const atLayout = "2006-01-02T15:04:05"

// API is the part of the EventBridge Scheduler client the scheduler calls;
// *scheduler.Client implements it.
type API interface {
	CreateSchedule(ctx context.Context, in *awsscheduler.CreateScheduleInput, opts ...func(*awsscheduler.Options)) (*awsscheduler.CreateScheduleOutput, error)
	DeleteSchedule(ctx context.Context, in *awsscheduler.DeleteScheduleInput, opts ...func(*awsscheduler.Options)) (*awsscheduler.DeleteScheduleOutput, error)
}

// Target is what a due schedule invokes.
type Target struct {
	// FunctionARN is the timer Lambda.
	FunctionARN string
	// RoleARN is the role EventBridge Scheduler assumes to invoke it.
	RoleARN string
	// Group is the schedule group; "" is the default group.
	Group string
}

// Scheduler creates and deletes one-time schedules. It is safe for
// concurrent use.
type Scheduler struct {
	client API
	target Target
	now    func() time.Time
}

var _ pipeline.Scheduler = (*Scheduler)(nil)

// New returns a Scheduler whose schedules invoke target. now tells the time
// (time.Now in production); it moves a past-due timer to the next second.
// The client is built once at cold start.
func New(client API, target Target, now func() time.Time) *Scheduler {
	return &Scheduler{client: client, target: target, now: now}
}

// Schedule creates a schedule named ScheduleName(t.Key) that fires once at
// t.At (in UTC, to the second; a time already past fires at the next second)
// with the timer as JSON input, and is deleted after it fires. Scheduling a
// key that has a schedule is a no-op; a key whose schedule is gone (fired or
// cancelled) schedules anew, since EventBridge Scheduler keeps no record of
// deleted names as Step Functions does of execution names. Returns EINVALID
// for a timer pipeline.Timer.Check refuses, EUNAVAILABLE if the service
// cannot be reached or throttles, EINTERNAL if it refuses the request as
// malformed.
func (s *Scheduler) Schedule(ctx context.Context, t pipeline.Timer) error {
	if err := t.Check(); err != nil {
		return err
	}
	in, err := json.Marshal(t)
	if err != nil {
		return &lead.Error{Code: lead.EINVALID, Message: "schedule timer " + t.Key + ": encode", Err: err}
	}
	at := t.At.UTC()
	if next := s.now().UTC().Truncate(time.Second).Add(time.Second); at.Before(next) {
		at = next
	}
	_, err = s.client.CreateSchedule(ctx, &awsscheduler.CreateScheduleInput{
		Name:                       aws.String(ScheduleName(t.Key)),
		GroupName:                  s.group(),
		ScheduleExpression:         aws.String("at(" + at.Format(atLayout) + ")"),
		ScheduleExpressionTimezone: aws.String("UTC"),
		FlexibleTimeWindow:         &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		ActionAfterCompletion:      types.ActionAfterCompletionDelete,
		Target: &types.Target{
			Arn:     aws.String(s.target.FunctionARN),
			RoleArn: aws.String(s.target.RoleARN),
			Input:   aws.String(string(in)),
		},
	})
	var conflict *types.ConflictException
	if errors.As(err, &conflict) {
		return nil
	}
	return awserr.Translate("schedule timer "+t.Key, err)
}

// Cancel deletes the timer's schedule. Cancelling an unknown or already
// fired key is not an error. Returns EUNAVAILABLE if the service cannot be
// reached or throttles, EINTERNAL if it refuses the request as malformed.
func (s *Scheduler) Cancel(ctx context.Context, key string) error {
	_, err := s.client.DeleteSchedule(ctx, &awsscheduler.DeleteScheduleInput{Name: aws.String(ScheduleName(key)), GroupName: s.group()})
	var missing *types.ResourceNotFoundException
	if errors.As(err, &missing) {
		return nil
	}
	return awserr.Translate("cancel timer "+key, err)
}

func (s *Scheduler) group() *string {
	if s.target.Group == "" {
		return nil
	}
	return aws.String(s.target.Group)
}

// ScheduleName maps a timer key to a valid schedule name: the key itself
// when it is at most MaxNameLen characters of [A-Za-z0-9._-]; otherwise the
// key with every other character replaced by "_", cut short, and followed by
// "-" and a hash of the whole key, so distinct keys keep distinct names.
func ScheduleName(key string) string {
	return resname.Make(key, MaxNameLen, func(r rune) bool { return resname.Word(r) || r == '.' })
}
