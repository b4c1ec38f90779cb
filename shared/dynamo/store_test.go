package dynamo_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/leadflow/leadflow/shared/dynamo"
	"github.com/leadflow/leadflow/shared/internal/motoserver"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/storetest"
)

func TestMain(m *testing.M) { os.Exit(motoserver.Run(m)) }

func client(t *testing.T) *dynamodb.Client {
	t.Helper()
	return dynamodb.NewFromConfig(motoserver.Config(t))
}

var tables atomic.Int64

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// newTable creates a table of its own for t, named after it, and deletes it
// on cleanup.
func newTable(t *testing.T, db *dynamodb.Client) string {
	t.Helper()
	name := unsafeName.ReplaceAllString(t.Name(), "-")
	name = fmt.Sprintf("%.200s-%d", name, tables.Add(1))
	if err := dynamo.CreateTable(t.Context(), db, name); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	t.Cleanup(func() {
		// t.Context is done by the time cleanups run.
		if _, err := db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name}); err != nil {
			t.Logf("delete table %s: %v", name, err)
		}
	})
	return name
}

func newStore(t *testing.T) *dynamo.Store {
	t.Helper()
	db := client(t)
	return dynamo.New(db, newTable(t, db))
}

func TestConformance(t *testing.T) {
	storetest.RunConformanceTests(t, func(t *testing.T) pipeline.Store { return newStore(t) })
}
