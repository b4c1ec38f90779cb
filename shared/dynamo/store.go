package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/shared/internal/awserr"
	"github.com/leadflow/leadflow/shared/internal/backoff"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// Store implements pipeline.Store on one DynamoDB table laid out as
// described in schema.go and keys.go. It is safe for concurrent use; the
// client is built once at cold start and shared.
type Store struct {
	db    *dynamodb.Client
	table string
	now   func() time.Time
}

var _ pipeline.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithClock makes the store read the time from now (PutOnce expiry); the
// default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// New returns a Store on the named table, which must exist with the layout
// CreateTable makes (the CDK stack creates the same one). New does not call
// AWS; a missing table surfaces as EUNAVAILABLE on the first call.
func New(client *dynamodb.Client, table string, opts ...Option) *Store {
	s := &Store{db: client, table: table, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// translate turns an SDK error into a lead error with the operation as
// context: a lost condition is ECONFLICT, a missing table EUNAVAILABLE
// naming it, the rest as awserr.Translate decides.
func (s *Store) translate(op string, err error) error {
	var (
		ccf      *types.ConditionalCheckFailedException
		canceled *types.TransactionCanceledException
		notFound *types.ResourceNotFoundException
	)
	switch {
	case errors.As(err, &ccf):
		return &lead.Error{Code: lead.ECONFLICT, Message: op + ": condition failed", Err: err}
	case errors.As(err, &canceled):
		for _, r := range canceled.CancellationReasons {
			if r.Code != nil && *r.Code == "ConditionalCheckFailed" {
				return &lead.Error{Code: lead.ECONFLICT, Message: op + ": condition failed", Err: err}
			}
		}
		return &lead.Error{Code: lead.EUNAVAILABLE, Message: op + ": transaction canceled", Err: err}
	case errors.As(err, &notFound):
		return &lead.Error{Code: lead.EUNAVAILABLE, Message: fmt.Sprintf("%s: table %s or index not found", op, s.table), Err: err}
	}
	return awserr.Translate(op, err)
}

// transactAttempts bounds the retries of a transaction that lost to a
// concurrent transaction on the same items.
const transactAttempts = 5

// transact runs a write transaction, retrying with backoff while DynamoDB
// cancels it only because another transaction held one of its items; a
// failed condition is final. The error is translated with op as context.
func (s *Store) transact(ctx context.Context, op string, items ...types.TransactWriteItem) error {
	for attempt := 1; ; attempt++ {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return nil
		}
		if attempt == transactAttempts || !transactionConflict(err) {
			return s.translate(op, err)
		}
		if err := backoff.Sleep(ctx, backoff.Delay(attempt)); err != nil {
			return s.translate(op, err)
		}
	}
}

// transactionConflict reports whether a cancelled transaction failed only on
// concurrent transactions, never on a condition.
func transactionConflict(err error) bool {
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		return false
	}
	conflict := false
	for _, r := range canceled.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "TransactionConflict":
			conflict = true
		case "None", "":
		default:
			return false
		}
	}
	return conflict
}
