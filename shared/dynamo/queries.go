package dynamo

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/shared/lead"
)

// OwnerQueue returns the open leads (stage sql or sal) of an owner, highest
// score first, at most limit (0 means no limit), from the owner index.
// Returns EUNAVAILABLE on a transient failure.
// OpenLeads counts the owner's items in the owner index (Select COUNT: no
// item is returned). The index is eventually consistent, like OwnerQueue.
func (s *Store) OpenLeads(ctx context.Context, owner string) (int, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(IndexOwner),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrOwnerPK},
		ExpressionAttributeValues: item{":pk": str(ownerPK(owner))},
		Select:                    types.SelectCount,
	}
	n := 0
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, s.translate("open leads of owner "+owner, err)
		}
		n += int(page.Count)
	}
	return n, nil
}

// OwnerQueue lists the owner's open leads from the owner index.
func (s *Store) OwnerQueue(ctx context.Context, owner string, limit int) ([]*lead.Lead, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(IndexOwner),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrOwnerPK},
		ExpressionAttributeValues: item{":pk": str(ownerPK(owner))},
	}
	if limit > 0 {
		in.Limit = aws.Int32(int32(min(limit, 1000)))
	}
	var out []*lead.Lead
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() && (limit <= 0 || len(out) < limit) {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.translate("queue of owner "+owner, err)
		}
		for _, it := range page.Items {
			l, err := decodeLead(it)
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// InactiveSince pages through leads whose LastActivityAt is before t,
// oldest first, at most limit per page (0 means all in one page). It queries
// every shard of the activity index for keys below t and merges them, so it
// never reads a lead active since t. The index is eventually consistent, as
// OwnerQueue's; the daily sweep tolerates that. The cursor is the index key of the
// last lead returned; "" when done. Returns EINVALID for a malformed cursor,
// EUNAVAILABLE on a transient failure.
func (s *Store) InactiveSince(ctx context.Context, t time.Time, cursor string, limit int) ([]*lead.Lead, string, error) {
	after := ""
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || !strings.Contains(string(raw), "#") {
			return nil, "", lead.Errorf(lead.EINVALID, "inactive since: malformed cursor")
		}
		after = string(raw)
	}
	// Every lead with time exactly t sorts after timeKey(t), because its key
	// continues with "#id": a "≤ bound" condition keeps only earlier ones.
	bound := timeKey(t)
	type hit struct {
		sk string
		l  *lead.Lead
	}
	var hits []hit
	for shard := range ActivityShards {
		in := &dynamodb.QueryInput{
			TableName:                &s.table,
			IndexName:                aws.String(IndexActivity),
			ExpressionAttributeNames: map[string]string{"#pk": AttrActivityPK, "#sk": AttrActivitySK},
		}
		pk := str(fmt.Sprintf("ACTIVE#%d", shard))
		if after == "" {
			in.KeyConditionExpression = aws.String("#pk = :pk AND #sk <= :bound")
			in.ExpressionAttributeValues = item{":pk": pk, ":bound": str(bound)}
		} else {
			in.KeyConditionExpression = aws.String("#pk = :pk AND #sk BETWEEN :after AND :bound")
			in.ExpressionAttributeValues = item{":pk": pk, ":after": str(after), ":bound": str(bound)}
		}
		if limit > 0 {
			// One more than a page, plus the cursor's own row, tells
			// whether another page follows.
			in.Limit = aws.Int32(int32(min(limit+2, 1000)))
		}
		n := 0
		p := dynamodb.NewQueryPaginator(s.db, in)
		for p.HasMorePages() && (limit <= 0 || n <= limit) {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, "", s.translate("inactive leads", err)
			}
			for _, it := range page.Items {
				sk := getS(it, AttrActivitySK)
				if sk == after {
					continue
				}
				l, err := decodeLead(it)
				if err != nil {
					return nil, "", err
				}
				hits = append(hits, hit{sk, l})
				n++
			}
		}
	}
	slices.SortFunc(hits, func(a, b hit) int { return strings.Compare(a.sk, b.sk) })
	next := ""
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
		next = base64.RawURLEncoding.EncodeToString([]byte(hits[limit-1].sk))
	}
	out := make([]*lead.Lead, len(hits))
	for i, h := range hits {
		out[i] = h.l
	}
	return out, next, nil
}

// ScanLeads calls fn for every lead, in no particular order, until fn
// returns an error, which it returns unchanged. It scans the whole table
// with a filter on the item type: for audits, replays and exports, never the
// hot path. Returns EUNAVAILABLE on a transient failure.
func (s *Store) ScanLeads(ctx context.Context, fn func(*lead.Lead) error) error {
	p := dynamodb.NewScanPaginator(s.db, &dynamodb.ScanInput{
		TableName:                 &s.table,
		FilterExpression:          aws.String("#t = :t"),
		ExpressionAttributeNames:  map[string]string{"#t": AttrType},
		ExpressionAttributeValues: item{":t": str(TypeLead)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return s.translate("scan leads", err)
		}
		for _, it := range page.Items {
			l, err := decodeLead(it)
			if err != nil {
				return err
			}
			if err := fn(l); err != nil {
				return err
			}
		}
	}
	return nil
}
