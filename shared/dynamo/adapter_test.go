package dynamo_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/dynamo"
	"github.com/leadflow/leadflow/shared/lead"
)

// TestCreateTable checks the table against the layout the CDK stack
// declares from the same constants.
func TestCreateTable(t *testing.T) {
	db := client(t)
	name := newTable(t, db)
	out, err := db.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: &name})
	if err != nil {
		t.Fatal(err)
	}
	type index struct{ Name, PK, SK, Projection string }
	keys := func(ks []types.KeySchemaElement) (pk, sk string) {
		for _, k := range ks {
			if k.KeyType == types.KeyTypeHash {
				pk = aws.ToString(k.AttributeName)
			} else {
				sk = aws.ToString(k.AttributeName)
			}
		}
		return pk, sk
	}
	var got []index
	pk, sk := keys(out.Table.KeySchema)
	got = append(got, index{"", pk, sk, ""})
	for _, g := range out.Table.GlobalSecondaryIndexes {
		pk, sk := keys(g.KeySchema)
		got = append(got, index{aws.ToString(g.IndexName), pk, sk, string(g.Projection.ProjectionType)})
	}
	slices.SortFunc(got, func(a, b index) int { return strings.Compare(a.Name, b.Name) })
	want := []index{
		{"", dynamo.AttrPK, dynamo.AttrSK, ""},
		{dynamo.IndexActivity, dynamo.AttrActivityPK, dynamo.AttrActivitySK, "ALL"},
		{dynamo.IndexDomain, dynamo.AttrDomainPK, dynamo.AttrDomainSK, "ALL"},
		{dynamo.IndexOwner, dynamo.AttrOwnerPK, dynamo.AttrOwnerSK, "ALL"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys and indexes (-want +got):\n%s", diff)
	}
	if out.Table.BillingModeSummary == nil || out.Table.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing mode = %+v, want PAY_PER_REQUEST", out.Table.BillingModeSummary)
	}
	ttl, err := db.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: &name})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != dynamo.AttrTTL {
		t.Errorf("ttl = %s on %q, want ENABLED on %q", d.TimeToLiveStatus, aws.ToString(d.AttributeName), dynamo.AttrTTL)
	}
	wantCode(t, "CreateTable(existing)", dynamo.CreateTable(t.Context(), db, name), lead.ECONFLICT)
}

// TestErrors covers the adapter's own error translations, which the
// conformance suite leaves to each adapter.
func TestErrors(t *testing.T) {
	s := newStore(t)
	l := &lead.Lead{ID: "lead-1", Email: "ada@analytical-engines.example", Stage: lead.StageNew}
	if err := s.CreateLead(t.Context(), l); err != nil {
		t.Fatal(err)
	}
	missing := dynamo.New(client(t), "no-such-table")
	tests := []struct {
		name string
		call func(ctx context.Context) error
		want string
	}{
		{"missing table", func(ctx context.Context) error { _, err := missing.GetLead(ctx, "x"); return err }, lead.EUNAVAILABLE},
		{"email changed", func(ctx context.Context) error {
			changed := *l
			changed.Email = "grace@cobolworks.example"
			return s.UpdateLead(ctx, &changed)
		}, lead.EINVALID},
		{"create with a version", func(ctx context.Context) error {
			return s.CreateLead(ctx, &lead.Lead{ID: "lead-2", Email: "x@y.example", Version: 3})
		}, lead.EINVALID},
		{"malformed cursor", func(ctx context.Context) error {
			_, _, err := s.InactiveSince(ctx, time.Now(), "%%%", 10)
			return err
		}, lead.EINVALID},
		{"canceled context", func(ctx context.Context) error {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err := s.Increment(ctx, "rr")
			return err
		}, lead.EUNAVAILABLE},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, tc.name, tc.call(t.Context()), tc.want)
		})
	}
}

// TestPutOnceTTL checks that an expiring record carries the ttl attribute
// DynamoDB deletes it by, rounded up to whole seconds.
func TestPutOnceTTL(t *testing.T) {
	db := client(t)
	table := newTable(t, db)
	now := time.Date(2025, 3, 14, 9, 26, 53, 500_000_000, time.UTC)
	s := dynamo.New(db, table, dynamo.WithClock(func() time.Time { return now }))
	if _, _, err := s.PutOnce(t.Context(), "capture:req-1", "lead-1", time.Hour); err != nil {
		t.Fatal(err)
	}
	out, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{
		dynamo.AttrPK: &types.AttributeValueMemberS{Value: "ONCE#capture:req-1"},
		dynamo.AttrSK: &types.AttributeValueMemberS{Value: "ONCE"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	n, ok := out.Item[dynamo.AttrTTL].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("once record has no numeric %s attribute: %v", dynamo.AttrTTL, out.Item)
	}
	if want := strconv.FormatInt(now.Add(time.Hour).Unix()+1, 10); n.Value != want {
		t.Errorf("ttl = %s, want %s", n.Value, want)
	}
}

// TestDeleteLeadErasesOnceRecords checks that erasure removes the
// idempotency records naming the lead and keeps the others.
func TestDeleteLeadErasesOnceRecords(t *testing.T) {
	s := newStore(t)
	gone := &lead.Lead{ID: "lead-1", Email: "ada@analytical-engines.example", Stage: lead.StageNew}
	kept := &lead.Lead{ID: "lead-2", Email: "grace@cobolworks.example", Stage: lead.StageNew}
	for _, l := range []*lead.Lead{gone, kept} {
		if err := s.CreateLead(t.Context(), l); err != nil {
			t.Fatal(err)
		}
	}
	records := []struct{ key, value string }{{"capture:req-1", gone.ID}, {"capture:req-2", gone.ID}, {"capture:req-3", kept.ID}}
	for _, r := range records {
		if _, _, err := s.PutOnce(t.Context(), r.key, r.value, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteLead(t.Context(), gone.ID); err != nil {
		t.Fatalf("DeleteLead: %v", err)
	}
	var got []bool
	for _, r := range records {
		_, created, err := s.PutOnce(t.Context(), r.key, "lead-3", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, created)
	}
	if diff := cmp.Diff([]bool{true, true, false}, got); diff != "" {
		t.Errorf("keys free again after the erasure (-want +got):\n%s", diff)
	}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := lead.ErrorCode(err); got != code {
		t.Errorf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}
