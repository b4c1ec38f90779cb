package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/shared/internal/backoff"
	"github.com/leadflow/leadflow/shared/lead"
)

// batchSize is BatchWriteItem's limit; batchAttempts bounds the retries of
// unprocessed items.
const (
	batchSize     = 25
	batchAttempts = 6
)

// DeleteLead erases every item of the lead: its activities and markers
// first, then the lead and its email claim in one transaction, so an
// interrupted erasure can be repeated until it succeeds. The once records
// whose value is the lead's id (idempotency keys) go with the activities;
// they are found through the domain index, which is eventually consistent,
// so in AWS a record written an instant before the erasure may survive
// until its ttl. Returns ENOTFOUND if the lead does not exist, EUNAVAILABLE
// on a transient failure.
func (s *Store) DeleteLead(ctx context.Context, id string) error {
	l, err := s.GetLead(ctx, id)
	if err != nil {
		return err
	}
	var keys []item
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrPK, "#sk": AttrSK},
		ExpressionAttributeValues: item{":pk": str(leadPK(id))},
		ProjectionExpression:      aws.String("#pk, #sk"),
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return s.translate("delete lead "+id+": list items", err)
		}
		for _, it := range page.Items {
			if getS(it, AttrSK) != skLead {
				keys = append(keys, key(getS(it, AttrPK), getS(it, AttrSK)))
			}
		}
	}
	// Idempotency records whose value is the lead's id name it too.
	q := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(IndexDomain),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrDomainPK},
		ExpressionAttributeValues: item{":pk": str(onceOfPK(id))},
	})
	for q.HasMorePages() {
		page, err := q.NextPage(ctx)
		if err != nil {
			return s.translate("delete lead "+id+": list once records", err)
		}
		for _, it := range page.Items {
			keys = append(keys, key(getS(it, AttrPK), getS(it, AttrSK)))
		}
	}
	if err := s.batchDelete(ctx, keys); err != nil {
		return s.translate("delete lead "+id+": activities", err)
	}
	err = s.transact(ctx, "delete lead "+id,
		types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(leadPK(id), skLead), ConditionExpression: aws.String("attribute_exists(" + AttrPK + ")")}},
		types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(emailPK(l.Email), skEmail)}},
	)
	if err != nil {
		if lead.IsCode(err, lead.ECONFLICT) {
			// Only the lead's existence is a condition: a concurrent erasure won.
			return lead.Errorf(lead.ENOTFOUND, "delete lead %s: not found", id)
		}
		return err
	}
	return nil
}

// batchDelete deletes keys in batches, retrying unprocessed items with
// backoff a bounded number of times.
func (s *Store) batchDelete(ctx context.Context, keys []item) error {
	for start := 0; start < len(keys); start += batchSize {
		var reqs []types.WriteRequest
		for _, k := range keys[start:min(start+batchSize, len(keys))] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}})
		}
		pending := map[string][]types.WriteRequest{s.table: reqs}
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt == batchAttempts {
				return lead.Errorf(lead.EUNAVAILABLE, "%d deletes still unprocessed after %d attempts", len(pending[s.table]), batchAttempts)
			}
			if attempt > 0 {
				if err := backoff.Sleep(ctx, backoff.Delay(attempt)); err != nil {
					return err
				}
			}
			out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return err
			}
			pending = out.UnprocessedItems
		}
	}
	return nil
}
