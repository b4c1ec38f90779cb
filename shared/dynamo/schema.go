// Package dynamo implements the Store port on one DynamoDB table. The table
// layout below is shared with the CDK stack, which creates exactly these keys,
// indexes and TTL attribute.
package dynamo

// Key attributes of the single table and of its global secondary indexes.
const (
	AttrPK  = "pk"
	AttrSK  = "sk"
	AttrTTL = "ttl" // epoch seconds; DynamoDB deletes the item after it

	// IndexOwner lists an owner's open leads by priority.
	IndexOwner  = "owner"
	AttrOwnerPK = "owner_pk"
	AttrOwnerSK = "owner_sk"
	// IndexActivity finds leads inactive since a date without scanning.
	IndexActivity  = "activity"
	AttrActivityPK = "activity_pk"
	AttrActivitySK = "activity_sk"
	// IndexDomain finds the leads of an account.
	IndexDomain  = "domain"
	AttrDomainPK = "domain_pk"
	AttrDomainSK = "domain_sk"
)

// Indexes maps each global secondary index to its partition and sort key.
var Indexes = map[string][2]string{
	IndexOwner:    {AttrOwnerPK, AttrOwnerSK},
	IndexActivity: {AttrActivityPK, AttrActivitySK},
	IndexDomain:   {AttrDomainPK, AttrDomainSK},
}
