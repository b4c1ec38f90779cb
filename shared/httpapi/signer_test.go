package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/lead"
)

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// TestSignerUsesTheCurrentKeys: keys come from their source at each
// request, so a rotation applies to the next request, and keys that cannot
// be read make the sender retry rather than fail for good.
func TestSignerUsesTheCurrentKeys(t *testing.T) {
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	body := []byte(`{"events":[]}`)
	before := httpapi.Keys{HMACSecret: "old-secret", APIKeys: []string{"old-key"}, LinkedInSecret: "old-li"}
	after := httpapi.Keys{HMACSecret: "new-secret", APIKeys: []string{"new-key"}, LinkedInSecret: "new-li"}
	current, readErr := before, error(nil)
	s := &httpapi.Signer{Keys: func(context.Context) (httpapi.Keys, error) { return current, readErr }, Clock: fixedClock(now)}
	signed := func(secret string) httpapi.Request {
		return httpapi.Request{Headers: map[string]string{httpapi.SignatureHeader: httpapi.Sign([]byte(secret), now, body)}}
	}
	keyed := func(key string) httpapi.Request {
		return httpapi.Request{Headers: map[string]string{httpapi.APIKeyHeader: key}}
	}
	verify := func(req httpapi.Request) error { return s.Verify(t.Context(), req, body) }
	linkedIn := func(secret string) error {
		return s.VerifyLinkedIn(t.Context(), httpapi.LinkedInSignature(secret, body), body)
	}

	steps := []struct {
		name   string
		rotate bool
		err    error
		check  func() error
		want   string
	}{
		{"signed with the key in use", false, nil, func() error { return verify(signed("old-secret")) }, ""},
		{"API key in use", false, nil, func() error { return verify(keyed("old-key")) }, ""},
		{"LinkedIn secret in use", false, nil, func() error { return linkedIn("old-li") }, ""},
		{"signed with the rotated-out key", true, nil, func() error { return verify(signed("old-secret")) }, lead.EUNAUTHORIZED},
		{"signed with the new key", true, nil, func() error { return verify(signed("new-secret")) }, ""},
		{"rotated-out API key", true, nil, func() error { return verify(keyed("old-key")) }, lead.EUNAUTHORIZED},
		{"new API key", true, nil, func() error { return verify(keyed("new-key")) }, ""},
		{"new LinkedIn secret", true, nil, func() error { return linkedIn("new-li") }, ""},
		{"keys unreadable", true, lead.Errorf(lead.ENOTFOUND, "secret gone"), func() error { return verify(keyed("new-key")) }, lead.EUNAVAILABLE},
		{"keys unreadable for LinkedIn", true, lead.Errorf(lead.ENOTFOUND, "secret gone"), func() error { return linkedIn("new-li") }, lead.EUNAVAILABLE},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.rotate {
				current = after
			}
			readErr = st.err
			if got := lead.ErrorCode(st.check()); got != st.want {
				t.Errorf("code = %q, want %q", got, st.want)
			}
		})
	}
}
