package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/shared/lead"
)

// onceAttempts bounds PutOnce's retries when a record expires between the
// failed write and the read that follows it.
const onceAttempts = 3

// PutOnce records key with value unless a live record exists, and returns
// the value stored under key and whether this call created it. A positive
// ttl sets the ttl attribute, so DynamoDB deletes the record some time after
// it expires; until then the record is treated as absent by its precise
// expiry, both when writing and when reading. Returns EINVALID for an empty
// key, EUNAVAILABLE on a transient failure.
func (s *Store) PutOnce(ctx context.Context, k, value string, ttl time.Duration) (string, bool, error) {
	if k == "" {
		return "", false, lead.Errorf(lead.EINVALID, "put once: key is required")
	}
	for range onceAttempts {
		now := s.now()
		it := key(oncePK(k), skOnce)
		it[AttrType] = str(TypeOnce)
		it[AttrValue] = str(value)
		if value != "" && len(value) <= maxIndexedValue {
			it[AttrDomainPK] = str(onceOfPK(value))
			it[AttrDomainSK] = str(oncePK(k))
		}
		if ttl > 0 {
			exp := now.Add(ttl)
			it[AttrExpires] = num(exp.UnixNano())
			// DynamoDB's TTL has one-second resolution: round up so it
			// never deletes a record that is still live.
			it[AttrTTL] = num(exp.Add(time.Second - 1).Unix())
		}
		_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                 &s.table,
			Item:                      it,
			ConditionExpression:       aws.String("attribute_not_exists(#pk) OR #x < :now"),
			ExpressionAttributeNames:  map[string]string{"#pk": AttrPK, "#x": AttrExpires},
			ExpressionAttributeValues: item{":now": num(now.UnixNano())},
		})
		if err == nil {
			return value, true, nil
		}
		if err = s.translate("put once", err); !lead.IsCode(err, lead.ECONFLICT) {
			return "", false, err
		}
		stored, ok, err := s.GetOnce(ctx, k)
		if err != nil {
			return "", false, fmt.Errorf("put once: read existing: %w", err)
		}
		if ok {
			return stored, false, nil
		}
	}
	return "", false, lead.Errorf(lead.EUNAVAILABLE, "put once: the record kept changing over %d attempts", onceAttempts)
}

// GetOnce returns the live value PutOnce stored under key, read
// consistently. Returns EINVALID for an empty key, EUNAVAILABLE on a
// transient failure.
func (s *Store) GetOnce(ctx context.Context, k string) (string, bool, error) {
	if k == "" {
		return "", false, lead.Errorf(lead.EINVALID, "get once: key is required")
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(oncePK(k), skOnce), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", false, s.translate("get once", err)
	}
	if out.Item == nil || !live(out.Item, s.now()) {
		return "", false, nil
	}
	return getS(out.Item, AttrValue), true, nil
}

// live reports whether a once record has not expired at now.
func live(it item, now time.Time) bool {
	if _, ok := it[AttrExpires]; !ok {
		return true
	}
	exp, err := getN(it, AttrExpires)
	return err != nil || exp >= now.UnixNano()
}

// Increment atomically adds one to a named counter and returns the new
// value (the first call returns 1). Returns EINVALID for an empty name,
// EUNAVAILABLE on a transient failure.
func (s *Store) Increment(ctx context.Context, counter string) (int64, error) {
	if counter == "" {
		return 0, lead.Errorf(lead.EINVALID, "increment: counter name is required")
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       key(counterPK(counter), skCounter),
		UpdateExpression:          aws.String("SET #t = :t ADD #n :one"),
		ExpressionAttributeNames:  map[string]string{"#t": AttrType, "#n": AttrCount},
		ExpressionAttributeValues: item{":t": str(TypeCounter), ":one": num(1)},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, s.translate("increment counter "+counter, err)
	}
	return getN(out.Attributes, AttrCount)
}

// AddCapped adds delta to a named counter unless limit is positive and the
// total would then exceed it, and returns the total after the call. The
// check and the add are one conditional update, so concurrent callers never
// overshoot the limit together. Returns EINVALID for an empty name or a
// delta that is not positive, EUNAVAILABLE on a transient failure.
func (s *Store) AddCapped(ctx context.Context, counter string, delta, limit int64) (int64, bool, error) {
	if counter == "" {
		return 0, false, lead.Errorf(lead.EINVALID, "add capped: counter name is required")
	}
	if delta <= 0 {
		return 0, false, lead.Errorf(lead.EINVALID, "add capped %s: delta must be positive, got %d", counter, delta)
	}
	k := key(counterPK(counter), skCounter)
	if limit <= 0 || delta <= limit {
		in := &dynamodb.UpdateItemInput{
			TableName:                 &s.table,
			Key:                       k,
			UpdateExpression:          aws.String("SET #t = :t ADD #n :d"),
			ExpressionAttributeNames:  map[string]string{"#t": AttrType, "#n": AttrCount},
			ExpressionAttributeValues: item{":t": str(TypeCounter), ":d": num(delta)},
			ReturnValues:              types.ReturnValueUpdatedNew,
		}
		if limit > 0 {
			in.ConditionExpression = aws.String("attribute_not_exists(#n) OR #n <= :max")
			in.ExpressionAttributeValues[":max"] = num(limit - delta)
		}
		out, err := s.db.UpdateItem(ctx, in)
		if err == nil {
			total, err := getN(out.Attributes, AttrCount)
			return total, true, err
		}
		if err = s.translate("add to counter "+counter, err); !lead.IsCode(err, lead.ECONFLICT) {
			return 0, false, err
		}
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return 0, false, s.translate("read counter "+counter, err)
	}
	if out.Item == nil {
		return 0, false, nil
	}
	total, err := getN(out.Item, AttrCount)
	return total, false, err
}
