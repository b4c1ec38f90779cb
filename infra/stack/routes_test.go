package stack_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/infra/stack"
	"github.com/leadflow/leadflow/shared/httpapi"
)

// TestRoutesComeFromHTTPAPI: the functions serve exactly httpapi.Routes,
// the internal routes on the IAM-authorized api function and the public
// and signed ones on capture, as the handler's own split does.
func TestRoutesComeFromHTTPAPI(t *testing.T) {
	want := map[stack.Trigger][]stack.Route{}
	for _, r := range httpapi.Routes {
		trigger := stack.TriggerPublicAPI
		if r.Access == httpapi.Internal {
			trigger = stack.TriggerInternalAPI
		}
		want[trigger] = append(want[trigger], stack.Route{Method: r.Method, Path: r.Pattern})
	}
	got := map[stack.Trigger][]stack.Route{}
	for _, f := range stack.Functions() {
		if len(f.Routes) > 0 {
			got[f.Trigger] = append(got[f.Trigger], f.Routes...)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("routes by trigger (-httpapi.Routes +stack.Functions):\n%s", diff)
	}
}
