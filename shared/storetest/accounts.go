package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

func sampleAccount() *lead.Account {
	return &lead.Account{
		Domain:    "cobolworks.example",
		Name:      "Cobol Works",
		Industry:  "financial services",
		Employees: 5200,
		Country:   "US",
		Tech:      []string{"salesforce", "hubspot", "snowflake"},
		UpdatedAt: base,
	}
}

func testAccounts(t *testing.T, newStore newStoreFunc) {
	t.Run("a missing account is not found", func(t *testing.T) {
		s := newStore(t)
		if err := s.PutAccount(t.Context(), sampleAccount()); err != nil {
			t.Fatalf("PutAccount: %v", err)
		}
		_, err := s.GetAccount(t.Context(), "bombelabs.example")
		wantCode(t, "GetAccount(missing)", err, lead.ENOTFOUND)
	})

	t.Run("put replaces the firmographics", func(t *testing.T) {
		s := newStore(t)
		a := sampleAccount()
		putAccount(t, s, a)
		if diff := cmp.Diff(a, getAccount(t, s, a.Domain), equate); diff != "" {
			t.Errorf("GetAccount after PutAccount (-want +got):\n%s", diff)
		}
		changed := sampleAccount()
		changed.Employees, changed.Tech, changed.UpdatedAt = 6100, []string{"marketo"}, base.Add(24*time.Hour)
		putAccount(t, s, changed)
		if diff := cmp.Diff(changed, getAccount(t, s, a.Domain), equate); diff != "" {
			t.Errorf("GetAccount after a second PutAccount (-want +got):\n%s", diff)
		}
	})

	t.Run("put never changes a claimed owner", func(t *testing.T) {
		s := newStore(t)
		putAccount(t, s, sampleAccount())
		claimOwner(t, s, "cobolworks.example", "rep-ana", "rep-ana")
		for _, owner := range []string{"", "rep-ben"} {
			a := sampleAccount()
			a.Owner, a.Employees = owner, 5300
			putAccount(t, s, a)
			want := sampleAccount()
			want.Owner, want.Employees = "rep-ana", 5300
			if diff := cmp.Diff(want, getAccount(t, s, a.Domain), equate); diff != "" {
				t.Errorf("after PutAccount with owner %q (-want +got):\n%s", owner, diff)
			}
		}
	})

	t.Run("the first claim wins", func(t *testing.T) {
		s := newStore(t)
		putAccount(t, s, sampleAccount())
		claimOwner(t, s, "cobolworks.example", "rep-ana", "rep-ana")
		claimOwner(t, s, "cobolworks.example", "rep-ben", "rep-ana")
		want := sampleAccount()
		want.Owner = "rep-ana"
		if diff := cmp.Diff(want, getAccount(t, s, "cobolworks.example"), equate); diff != "" {
			t.Errorf("GetAccount after claims (-want +got):\n%s", diff)
		}
	})

	t.Run("a claim creates a missing account", func(t *testing.T) {
		s := newStore(t)
		claimOwner(t, s, "bombelabs.example", "rep-cy", "rep-cy")
		got := getAccount(t, s, "bombelabs.example")
		if got.Domain != "bombelabs.example" || got.Owner != "rep-cy" {
			t.Errorf("GetAccount = domain %q owner %q, want bombelabs.example owned by rep-cy", got.Domain, got.Owner)
		}
	})

	t.Run("racing claims agree on one owner", func(t *testing.T) {
		s := newStore(t)
		const n = 20
		owners := make([]string, n)
		parallel(n, func(i int) {
			got, err := s.ClaimAccountOwner(t.Context(), "orbitaldata.example", fmt.Sprintf("rep-%02d", i))
			if err != nil {
				t.Errorf("claim %d: %v", i, err)
			}
			owners[i] = got
		})
		winner := getAccount(t, s, "orbitaldata.example").Owner
		if !strings.HasPrefix(winner, "rep-") {
			t.Fatalf("owner after the race = %q, want one of the claimants", winner)
		}
		for i, got := range owners {
			if got != winner {
				t.Errorf("claim %d saw owner %q, the account holds %q", i, got, winner)
			}
		}
	})
}

func putAccount(t *testing.T, s pipeline.Store, a *lead.Account) {
	t.Helper()
	if err := s.PutAccount(t.Context(), a); err != nil {
		t.Fatalf("PutAccount(%s): %v", a.Domain, err)
	}
}

func getAccount(t *testing.T, s pipeline.Store, domain string) *lead.Account {
	t.Helper()
	a, err := s.GetAccount(t.Context(), domain)
	if err != nil {
		t.Fatalf("GetAccount(%s): %v", domain, err)
	}
	return a
}

func claimOwner(t *testing.T, s pipeline.Store, domain, owner, want string) {
	t.Helper()
	got, err := s.ClaimAccountOwner(t.Context(), domain, owner)
	if err != nil {
		t.Fatalf("ClaimAccountOwner(%s, %s): %v", domain, owner, err)
	}
	if got != want {
		t.Errorf("ClaimAccountOwner(%s, %s) = %q, want %q", domain, owner, got, want)
	}
}
