package routing

import "testing"

// BenchmarkRoute routes one lead against the demo roster (5 teams × 3
// reps) along the main paths. Target: ≤ 2 µs/op.
func BenchmarkRoute(b *testing.B) {
	r := mustRouter(b, demoConfig())
	loads := MemLoads{"ent-1": 3, "ent-2": 5, "ent-3": 4}
	cases := []struct {
		name string
		in   Input
	}{
		{"named_account", Input{Lead: newLead("US", "NY", 50, "software", "bigco.example")}},
		{"account_owner", Input{Lead: newLead("US", "NY", 50, "software", "acme.example"), AccountOwner: "east-2"}},
		{"territory_state", Input{Lead: newLead("US", "NY", 50, "software", "acme.example")}},
		{"territory_region", Input{Lead: newLead("FR", "", 50, "software", "acme.example")}},
		{"outside_hours", Input{Lead: newLead("JP", "", 50, "software", "acme.example")}},
		{"segment_capacity", Input{Lead: newLead("BR", "", 5000, "software", "acme.example")}},
		{"fallback", Input{Lead: newLead("BR", "", 10, "retail", "acme.example")}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var c MemCounters
			in := tc.in
			in.Now = wed1500
			b.ReportAllocs()
			for b.Loop() {
				if d := r.Route(in, &c, loads); d.Owner == "" {
					b.Fatalf("no owner: %v", d.Explain())
				}
			}
		})
	}
}
