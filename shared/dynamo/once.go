package dynamo

import (
	"context"
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
		out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(oncePK(k), skOnce), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return "", false, s.translate("put once: read existing", err)
		}
		if out.Item != nil && live(out.Item, s.now()) {
			return getS(out.Item, AttrValue), false, nil
		}
	}
	return "", false, lead.Errorf(lead.EUNAVAILABLE, "put once: the record kept changing over %d attempts", onceAttempts)
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
