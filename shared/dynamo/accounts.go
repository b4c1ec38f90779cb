package dynamo

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/shared/lead"
)

// The account item keeps the owner in its own attribute, outside the JSON
// data, so firmographic updates and owner claims never overwrite each other.

// GetAccount returns the account of a registrable domain. Returns ENOTFOUND
// if there is none, EUNAVAILABLE on a transient failure.
func (s *Store) GetAccount(ctx context.Context, domain string) (*lead.Account, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(accountPK(domain), skAccount), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, s.translate("get account "+domain, err)
	}
	if out.Item == nil {
		return nil, lead.Errorf(lead.ENOTFOUND, "account %s not found", domain)
	}
	a := &lead.Account{}
	if data := getS(out.Item, AttrData); data != "" {
		if err := json.Unmarshal([]byte(data), a); err != nil {
			return nil, &lead.Error{Code: lead.EINTERNAL, Message: "decode account " + domain, Err: err}
		}
	}
	a.Domain = domain
	a.Owner = getS(out.Item, AttrOwner)
	return a, nil
}

// PutAccount creates or replaces an account's firmographics. An owner
// already claimed is kept; a.Owner is stored only if there is none. Returns
// EINVALID for an account without domain, EUNAVAILABLE on a transient
// failure.
func (s *Store) PutAccount(ctx context.Context, a *lead.Account) error {
	if a.Domain == "" {
		return lead.Errorf(lead.EINVALID, "put account: domain is required")
	}
	firmo := *a
	firmo.Owner = ""
	data, err := json.Marshal(firmo)
	if err != nil {
		return &lead.Error{Code: lead.EINTERNAL, Message: "encode account " + a.Domain, Err: err}
	}
	update := "SET #t = :t, #d = :d"
	values := item{":t": str(TypeAccount), ":d": str(string(data))}
	if a.Owner != "" {
		update += ", #o = if_not_exists(#o, :o)"
		values[":o"] = str(a.Owner)
	}
	names := map[string]string{"#t": AttrType, "#d": AttrData}
	if a.Owner != "" {
		names["#o"] = AttrOwner
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       key(accountPK(a.Domain), skAccount),
		UpdateExpression:          &update,
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if err != nil {
		return s.translate("put account "+a.Domain, err)
	}
	return nil
}

// ClaimAccountOwner sets the account's owner if it has none, creating the
// account if needed, and returns the owner now holding it: the first claim
// wins, atomically. Returns EINVALID for an empty domain or owner,
// EUNAVAILABLE on a transient failure.
func (s *Store) ClaimAccountOwner(ctx context.Context, domain, owner string) (string, error) {
	if domain == "" || owner == "" {
		return "", lead.Errorf(lead.EINVALID, "claim account owner: domain and owner are required")
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       key(accountPK(domain), skAccount),
		UpdateExpression:          aws.String("SET #t = :t, #o = if_not_exists(#o, :o)"),
		ExpressionAttributeNames:  map[string]string{"#t": AttrType, "#o": AttrOwner},
		ExpressionAttributeValues: item{":t": str(TypeAccount), ":o": str(owner)},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		return "", s.translate("claim owner of account "+domain, err)
	}
	return getS(out.Attributes, AttrOwner), nil
}
