package dynamo

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/shared/lead"
)

// tableWait bounds the wait for a new table to become active.
const tableWait = 2 * time.Minute

// CreateTable creates the table exactly as the CDK stack does (string keys
// pk/sk, the global secondary indexes of Indexes with projection ALL,
// on-demand billing) and enables TTL on the ttl attribute. It is meant for
// tests and local emulators; in AWS the stack owns the table. It waits until
// the table is active. Returns ECONFLICT if the table exists, EUNAVAILABLE
// on a transient failure, each naming the table.
func CreateTable(ctx context.Context, client *dynamodb.Client, name string) error {
	s := &Store{table: name}
	attrs := []types.AttributeDefinition{
		{AttributeName: aws.String(AttrPK), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(AttrSK), AttributeType: types.ScalarAttributeTypeS},
	}
	indexNames := make([]string, 0, len(Indexes))
	for n := range Indexes {
		indexNames = append(indexNames, n)
	}
	sort.Strings(indexNames)
	var gsis []types.GlobalSecondaryIndex
	for _, n := range indexNames {
		k := Indexes[n]
		attrs = append(attrs,
			types.AttributeDefinition{AttributeName: aws.String(k[0]), AttributeType: types.ScalarAttributeTypeS},
			types.AttributeDefinition{AttributeName: aws.String(k[1]), AttributeType: types.ScalarAttributeTypeS},
		)
		gsis = append(gsis, types.GlobalSecondaryIndex{
			IndexName: aws.String(n),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(k[0]), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(k[1]), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: attrs,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(AttrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(AttrSK), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: gsis,
		BillingMode:            types.BillingModePayPerRequest,
	})
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		return &lead.Error{Code: lead.ECONFLICT, Message: "create table " + name + ": it exists", Err: err}
	}
	if err != nil {
		return s.translate("create table "+name, err)
	}
	if err := dynamodb.NewTableExistsWaiter(client).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, tableWait); err != nil {
		return s.translate("wait for table "+name, err)
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(AttrTTL), Enabled: aws.Bool(true)},
	})
	if err != nil {
		return s.translate("enable ttl on "+name, err)
	}
	return nil
}
