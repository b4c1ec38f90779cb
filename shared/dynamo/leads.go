package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/shared/lead"
)

type item = map[string]types.AttributeValue

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func key(pk, sk string) item { return item{AttrPK: str(pk), AttrSK: str(sk)} }

// getS returns a string attribute, "" when absent.
func getS(it item, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// getN returns a number attribute, 0 when absent.
func getN(it item, name string) (int64, error) {
	v, ok := it[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, lead.Errorf(lead.EINTERNAL, "attribute %s is not an integer: %q", name, v.Value)
	}
	return n, nil
}

// leadItem encodes a lead with the index attributes its state calls for.
// Rewriting the whole item on every update drops index attributes that no
// longer apply (a lead leaving sql/sal leaves its owner's queue).
func leadItem(l *lead.Lead) (item, error) {
	data, err := json.Marshal(l)
	if err != nil {
		return nil, &lead.Error{Code: lead.EINTERNAL, Message: "encode lead " + l.ID, Err: err}
	}
	it := key(leadPK(l.ID), skLead)
	it[AttrType] = str(TypeLead)
	it[AttrData] = str(string(data))
	it[AttrVersion] = num(l.Version)
	it[AttrEmail] = str(l.Email)
	it[AttrActivityPK] = str(activityShard(l.ID))
	it[AttrActivitySK] = str(timeKey(l.LastActivityAt) + "#" + l.ID)
	if l.Owner != "" && openStage(l.Stage) {
		it[AttrOwnerPK] = str(ownerPK(l.Owner))
		it[AttrOwnerSK] = str(ownerSK(l))
	}
	if l.Domain != "" {
		it[AttrDomainPK] = str(domainPK(l.Domain))
		it[AttrDomainSK] = str(leadPK(l.ID))
	}
	return it, nil
}

func decodeLead(it item) (*lead.Lead, error) {
	var l lead.Lead
	if err := json.Unmarshal([]byte(getS(it, AttrData)), &l); err != nil {
		return nil, &lead.Error{Code: lead.EINTERNAL, Message: "decode lead " + getS(it, AttrPK), Err: err}
	}
	return &l, nil
}

// CreateLead stores a new lead as version 1 and claims its email in one
// transaction. Returns EINVALID for a lead without id or email or with a
// non-zero Version, ECONFLICT if the id or the email is taken (nothing is
// written then), EUNAVAILABLE on a transient failure.
func (s *Store) CreateLead(ctx context.Context, l *lead.Lead) error {
	if l.ID == "" || l.Email == "" {
		return lead.Errorf(lead.EINVALID, "create lead: id and email are required")
	}
	if l.Version != 0 {
		return lead.Errorf(lead.EINVALID, "create lead %s: version must be 0, got %d", l.ID, l.Version)
	}
	stored := *l
	stored.Version = 1
	it, err := leadItem(&stored)
	if err != nil {
		return err
	}
	claim := key(emailPK(l.Email), skEmail)
	claim[AttrType] = str(TypeEmail)
	claim[AttrLeadID] = str(l.ID)
	notExists := aws.String("attribute_not_exists(" + AttrPK + ")")
	err = s.transact(ctx, "create lead "+l.ID,
		types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: it, ConditionExpression: notExists}},
		types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: claim, ConditionExpression: notExists}},
	)
	if err != nil {
		return err
	}
	l.Version = 1
	return nil
}

// GetLead returns the lead with id (a strongly consistent read). Returns
// ENOTFOUND if there is none, EUNAVAILABLE on a transient failure.
func (s *Store) GetLead(ctx context.Context, id string) (*lead.Lead, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(leadPK(id), skLead), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, s.translate("get lead "+id, err)
	}
	if out.Item == nil {
		return nil, lead.Errorf(lead.ENOTFOUND, "lead %s not found", id)
	}
	return decodeLead(out.Item)
}

// LeadByEmail returns the lead holding the normalised email through its
// email claim. Returns ENOTFOUND if there is none, EUNAVAILABLE on a
// transient failure.
func (s *Store) LeadByEmail(ctx context.Context, email string) (*lead.Lead, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(emailPK(email), skEmail), ConsistentRead: aws.Bool(true)})
	if err != nil {
		// The email is PII: the error names the operation only.
		return nil, s.translate("lead by email", err)
	}
	if out.Item == nil {
		return nil, lead.Errorf(lead.ENOTFOUND, "no lead with this email")
	}
	l, err := s.GetLead(ctx, getS(out.Item, AttrLeadID))
	if lead.IsCode(err, lead.ENOTFOUND) {
		// The claim outlived its lead (an erasure in progress).
		return nil, lead.Errorf(lead.ENOTFOUND, "no lead with this email")
	}
	return l, err
}

// UpdateLead replaces the lead if the stored version equals l.Version, then
// sets l.Version to the new version. Returns ENOTFOUND if the lead does not
// exist, ECONFLICT if the versions differ, EINVALID if the email differs
// from the stored one (it is immutable), EUNAVAILABLE on a transient
// failure.
func (s *Store) UpdateLead(ctx context.Context, l *lead.Lead) error {
	stored := *l
	stored.Version = l.Version + 1
	it, err := leadItem(&stored)
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           &s.table,
		Item:                                it,
		ConditionExpression:                 aws.String("attribute_exists(#pk) AND #v = :v AND #e = :e"),
		ExpressionAttributeNames:            map[string]string{"#pk": AttrPK, "#v": AttrVersion, "#e": AttrEmail},
		ExpressionAttributeValues:           item{":v": num(l.Version), ":e": str(l.Email)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		l.Version = stored.Version
		return nil
	}
	return s.updateFailure(l, err)
}

// updateFailure explains a failed conditional update from the item it
// found, when DynamoDB returned it.
func (s *Store) updateFailure(l *lead.Lead, err error) error {
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return s.translate("update lead "+l.ID, err)
	}
	if ccf.Item == nil {
		return lead.Errorf(lead.ENOTFOUND, "update lead %s: not found", l.ID)
	}
	if getS(ccf.Item, AttrEmail) != l.Email {
		return lead.Errorf(lead.EINVALID, "update lead %s: the email is immutable", l.ID)
	}
	v, _ := getN(ccf.Item, AttrVersion)
	return &lead.Error{Code: lead.ECONFLICT, Message: fmt.Sprintf("update lead %s: version %d is stale, stored %d", l.ID, l.Version, v), Err: err}
}
