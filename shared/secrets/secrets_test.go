package secrets_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/leadflow/leadflow/shared/internal/awsjson"
	"github.com/leadflow/leadflow/shared/internal/motoserver"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/secrets"
)

func TestMain(m *testing.M) { os.Exit(motoserver.Run(m)) }

// clock is a manual clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestGet(t *testing.T) {
	ctx := t.Context()
	sm := secretsmanager.NewFromConfig(motoserver.Config(t))
	put := func(t *testing.T, id, value string) {
		t.Helper()
		if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(id), SecretString: aws.String(value)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"leadflow/slack", "leadflow/providers"} {
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("leadflow/hmac"), SecretBinary: []byte("k3y")}); err != nil {
		t.Fatal(err)
	}
	put(t, "leadflow/slack", "https://hooks.slack.example/T1/B1/one")
	put(t, "leadflow/providers", `{"clearbit":"cb-key","apollo":"ap-key"}`)

	clk := &clock{t: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)}
	c := secrets.New(awsjson.New(motoserver.Config(t), awsjson.SecretsManager), 5*time.Minute, clk.now)
	steps := []struct {
		name    string
		before  func(t *testing.T)
		advance time.Duration
		want    string
	}{
		{"first read", func(*testing.T) {}, 0, "https://hooks.slack.example/T1/B1/one"},
		{"cached within the ttl", func(t *testing.T) { put(t, "leadflow/slack", "https://hooks.slack.example/T1/B1/two") }, 4 * time.Minute, "https://hooks.slack.example/T1/B1/one"},
		{"refreshed after the ttl", func(*testing.T) {}, 2 * time.Minute, "https://hooks.slack.example/T1/B1/two"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.before(t)
			clk.t = clk.t.Add(st.advance)
			got, err := c.Get(ctx, "leadflow/slack")
			if err != nil || got != st.want {
				t.Errorf("Get = %q, %v, want %q", got, err, st.want)
			}
		})
	}

	t.Run("binary secret", func(t *testing.T) {
		if got, err := c.Get(ctx, "leadflow/hmac"); err != nil || got != "k3y" {
			t.Errorf("Get(binary) = %q, %v, want %q", got, err, "k3y")
		}
	})

	fields := []struct {
		id, field string
		want      string
		wantCode  string
	}{
		{"leadflow/providers", "apollo", "ap-key", ""},
		{"leadflow/providers", "zoominfo", "", lead.ENOTFOUND},
		{"leadflow/slack", "url", "", lead.EINVALID},
		{"leadflow/missing", "url", "", lead.ENOTFOUND},
	}
	for _, tc := range fields {
		t.Run("field "+tc.id+" "+tc.field, func(t *testing.T) {
			got, err := c.Field(ctx, tc.id, tc.field)
			if got != tc.want || lead.ErrorCode(err) != tc.wantCode {
				t.Errorf("Field = %q, %v, want %q with code %q", got, err, tc.want, tc.wantCode)
			}
		})
	}
}

// down is a Secrets Manager that cannot be reached.
type down struct{ calls int }

func (d *down) Call(_ context.Context, _ awsjson.Operation, _, out any) error {
	d.calls++
	if d.calls == 1 {
		return json.Unmarshal([]byte(`{"SecretString":"v1"}`), out)
	}
	return errors.New("dial tcp: connection refused")
}

func TestGetServesStaleWhenUnavailable(t *testing.T) {
	clk := &clock{t: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)}
	d := &down{}
	c := secrets.New(d, time.Minute, clk.now)
	if got, err := c.Get(t.Context(), "s"); err != nil || got != "v1" {
		t.Fatalf("Get = %q, %v, want v1", got, err)
	}
	clk.t = clk.t.Add(time.Hour)
	if got, err := c.Get(t.Context(), "s"); err != nil || got != "v1" || d.calls != 2 {
		t.Errorf("Get after the ttl with the service down = %q, %v after %d calls, want the stale v1 after a refresh attempt", got, err, d.calls)
	}
	if _, err := c.Get(t.Context(), "never-read"); lead.ErrorCode(err) != lead.EUNAVAILABLE {
		t.Errorf("Get(uncached) with the service down = %v, want EUNAVAILABLE", err)
	}
}
