package dynamo

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/shared/lead"
)

// AddActivity stores an activity under its lead's partition, idempotent by
// (LeadID, ID): an ACTID marker is claimed in the same transaction, so a
// redelivered activity is recognised even if its time differs. It reports
// false when the activity was already stored. Returns EINVALID for an
// activity without lead or id, EUNAVAILABLE on a transient failure.
func (s *Store) AddActivity(ctx context.Context, a lead.Activity) (bool, error) {
	if a.LeadID == "" || a.ID == "" {
		return false, lead.Errorf(lead.EINVALID, "add activity: lead id and id are required")
	}
	data, err := json.Marshal(a)
	if err != nil {
		return false, &lead.Error{Code: lead.EINTERNAL, Message: "encode activity " + a.ID, Err: err}
	}
	marker := key(leadPK(a.LeadID), activityIDSK(a.ID))
	marker[AttrType] = str(TypeActID)
	act := key(leadPK(a.LeadID), activitySK(a))
	act[AttrType] = str(TypeActivity)
	act[AttrData] = str(string(data))
	notExists := aws.String("attribute_not_exists(" + AttrPK + ")")
	err = s.transact(ctx, "add activity "+a.ID+" of lead "+a.LeadID,
		types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: marker, ConditionExpression: notExists}},
		types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: act, ConditionExpression: notExists}},
	)
	if err != nil {
		if lead.IsCode(err, lead.ECONFLICT) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// Activities returns the lead's activities, oldest first (the sort key
// order). Returns EUNAVAILABLE on a transient failure; a lead without
// activities, or no lead at all, gives an empty list.
func (s *Store) Activities(ctx context.Context, leadID string) ([]lead.Activity, error) {
	var out []lead.Activity
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :act)"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrPK, "#sk": AttrSK},
		ExpressionAttributeValues: item{":pk": str(leadPK(leadID)), ":act": str(actPrefix)},
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.translate("activities of lead "+leadID, err)
		}
		for _, it := range page.Items {
			var a lead.Activity
			if err := json.Unmarshal([]byte(getS(it, AttrData)), &a); err != nil {
				return nil, &lead.Error{Code: lead.EINTERNAL, Message: "decode activity " + getS(it, AttrSK), Err: err}
			}
			out = append(out, a)
		}
	}
	return out, nil
}
