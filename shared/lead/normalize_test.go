package lead

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]string
		want   *Lead
	}{
		{
			name: "full business lead",
			fields: map[string]string{
				"email": "  Jane.Doe@Sales.ACME.co.uk ", "first_name": " Jane ", "last_name": "Doe",
				"title": "VP,  Sales", "company": "Acme  Ltd", "website": "https://www.acme.co.uk/about",
				"phone": "020 7946 0958", "country": "United Kingdom", "state": "London",
				"employees": "51-200", "industry": " Software ", "consent": "Yes",
				"utm_source": " linkedin ",
			},
			want: &Lead{
				Email: "jane.doe@sales.acme.co.uk", FirstName: "Jane", LastName: "Doe", Title: "VP, Sales",
				Company: "Acme Ltd", Website: "https://www.acme.co.uk/about", Phone: "020 7946 0958",
				Country: "GB", State: "London", Employees: 125, Industry: "software",
				Domain: "acme.co.uk", EmailDomain: "sales.acme.co.uk", Seniority: SeniorityVP, Function: FunctionSales,
				Consent: ConsentGranted, Extras: map[string]string{"utm_source": " linkedin "}, Stage: StageNew,
			},
		},
		{
			name:   "free mail takes the domain from the website",
			fields: map[string]string{"email": "jane@gmail.com", "website": "acme.io", "country": "USA", "state": "new york", "phone": "(201) 555-0123"},
			want: &Lead{
				Email: "jane@gmail.com", EmailDomain: "gmail.com", FreeEmail: true, Website: "acme.io", Domain: "acme.io",
				Country: "US", State: "NY", Phone: "(201) 555-0123", Consent: ConsentUnknown, Stage: StageNew,
			},
		},
		{
			name:   "free mail without website has no account",
			fields: map[string]string{"email": "jane@yahoo.co.uk", "consent": "no"},
			want: &Lead{
				Email: "jane@yahoo.co.uk", EmailDomain: "yahoo.co.uk", FreeEmail: true,
				Consent: ConsentDenied, Stage: StageNew,
			},
		},
		{
			name:   "disposable mail, website that is free mail",
			fields: map[string]string{"email": "x@mailinator.com", "website": "gmail.com"},
			want: &Lead{
				Email: "x@mailinator.com", EmailDomain: "mailinator.com", DisposableEmail: true, Website: "gmail.com",
				Consent: ConsentUnknown, Stage: StageNew,
			},
		},
		{
			name:   "unparseable phone, unknown country, empty values",
			fields: map[string]string{"email": "a@b.io", "phone": " call me ", "country": "Narnia", "title": "", "employees": ""},
			want: &Lead{
				Email: "a@b.io", EmailDomain: "b.io", Domain: "b.io", Phone: "call me",
				Extras: map[string]string{"country": "Narnia"}, Consent: ConsentUnknown, Stage: StageNew,
			},
		},
		{
			name:   "phone kept as given: E.164 is package phone's",
			fields: map[string]string{"email": "a@acme.de", "phone": " +49 30 901820 "},
			want: &Lead{
				Email: "a@acme.de", EmailDomain: "acme.de", Domain: "acme.de", Phone: "+49 30 901820",
				Consent: ConsentUnknown, Stage: StageNew,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.fields)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	manyExtras := map[string]string{"email": "a@acme.com"}
	for i := range MaxExtras + 1 {
		manyExtras["x"+strings.Repeat("y", i)] = "v"
	}
	tests := []struct {
		name   string
		fields map[string]string
		field  string
	}{
		{"no email", map[string]string{"first_name": "Jane"}, "email"},
		{"empty email", map[string]string{"email": "  "}, "email"},
		{"bad email", map[string]string{"email": "jane@"}, "email"},
		{"quoted email", map[string]string{"email": `"jane"@acme.com`}, "email"},
		{"value too long", map[string]string{"email": "a@acme.com", "company": strings.Repeat("x", MaxFieldBytes+1)}, "company"},
		{"invalid utf-8", map[string]string{"email": "a@acme.com", "last_name": "D\xffoe"}, "last_name"},
		{"nul", map[string]string{"email": "a@acme.com", "title": "VP\x00"}, "title"},
		{"newline", map[string]string{"email": "a@acme.com\n"}, "email"},
		{"c1 control", map[string]string{"email": "a@acme.com", "company": "Acme\u0085"}, "company"},
		{"control in extra", map[string]string{"email": "a@acme.com", "message": "hi\nthere"}, "extras.message"},
		{"long extra", map[string]string{"email": "a@acme.com", "notes": strings.Repeat("n", MaxFieldBytes+1)}, "extras.notes"},
		{"bad extra name", map[string]string{"email": "a@acme.com", "x\x01": "v"}, "extras"},
		{"empty extra name", map[string]string{"email": "a@acme.com", "": "v"}, "extras"},
		{"too many extras", manyExtras, "extras"},
		{"negative employees", map[string]string{"email": "a@acme.com", "employees": "-5"}, "employees"},
		{"words as employees", map[string]string{"email": "a@acme.com", "employees": "lots"}, "employees"},
		{"backwards range", map[string]string{"email": "a@acme.com", "employees": "200-51"}, "employees"},
		{"unknown consent", map[string]string{"email": "a@acme.com", "consent": "maybe"}, "consent"},
		{"bad canonical beats bad extra", map[string]string{"email": "a@acme.com", "a": "\x00", "phone": "\x00"}, "phone"},
		{"smallest bad extra", map[string]string{"email": "a@acme.com", "b": "\x00", "a": "\x00", "c": "\x00"}, "extras.a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Parse(tc.fields)
			if err == nil {
				t.Fatalf("Parse accepted %+v", l)
			}
			if l != nil {
				t.Errorf("Parse returned a lead with error %v", err)
			}
			e := asError(t, err)
			if diff := cmp.Diff([2]string{EINVALID, tc.field}, [2]string{e.Code, e.Field}); diff != "" {
				t.Errorf("error %v: (-want +got code, field):\n%s", err, diff)
			}
		})
	}
}

func TestParseAcceptsLimits(t *testing.T) {
	fields := map[string]string{"email": "a@acme.com", "company": strings.Repeat("é", MaxFieldBytes/2)}
	for i := range MaxExtras {
		fields["x"+strings.Repeat("y", i)] = strings.Repeat("v", MaxFieldBytes)
	}
	l, err := Parse(fields)
	if err != nil {
		t.Fatalf("Parse at the limits: %v", err)
	}
	if len(l.Extras) != MaxExtras {
		t.Errorf("%d extras kept, want %d", len(l.Extras), MaxExtras)
	}
}

func TestNormalizeAfterEnrichment(t *testing.T) {
	l, err := Parse(map[string]string{"email": "jane@gmail.com", "phone": "030 901820", "title": "CMO"})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	// Enrichment fills the company website and country later.
	l.Website, l.Country, l.Industry = "https://www.acme-gmbh.de/", "Deutschland", "Financial  Services"
	Normalize(l)
	want := []string{"acme-gmbh.de", "DE", "030 901820", "financial services", SeniorityCLevel, FunctionMarketing}
	got := []string{l.Domain, l.Country, l.Phone, l.Industry, l.Seniority, l.Function}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after enrichment (-want +got):\n%s", diff)
	}

	// A title-less lead keeps the seniority a provider set.
	m := &Lead{Email: "a@acme.com", Seniority: SeniorityVP, Function: FunctionSales}
	Normalize(m)
	if m.Seniority != SeniorityVP || m.Function != FunctionSales {
		t.Errorf("provider seniority lost: %q %q", m.Seniority, m.Function)
	}

	// A Domain set on a free-mail lead is dropped: no gmail account.
	n := &Lead{Email: "a@gmail.com", Domain: "gmail.com"}
	Normalize(n)
	if n.Domain != "" {
		t.Errorf("free-mail domain kept as account: %q", n.Domain)
	}
}

func TestNormalizeIdempotent(t *testing.T) {
	inputs := []map[string]string{
		{"email": "Jane@Sales.Acme.co.uk", "website": "www.acme.co.uk", "phone": "020 7946 0958", "country": "uk", "title": "Dir. of Marketing"},
		{"email": "jane@gmail.com", "country": "Narnia", "state": "Texas", "phone": "+1 201 555 0123 ext. 12", "industry": "  SaaS "},
		{"email": "x@bücher.de", "country": "ca", "state": "quebec", "employees": "1.2k"},
	}
	for _, in := range inputs {
		t.Run(in["email"], func(t *testing.T) {
			l, err := Parse(in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			again := cloneLead(l)
			Normalize(again)
			if diff := cmp.Diff(l, again); diff != "" {
				t.Errorf("second Normalize changed the lead (-first +second):\n%s", diff)
			}
		})
	}
}

func cloneLead(l *Lead) *Lead {
	c := *l
	if l.Extras != nil {
		c.Extras = make(map[string]string, len(l.Extras))
		for k, v := range l.Extras {
			c.Extras[k] = v
		}
	}
	return &c
}

func TestAccountKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://www.acme.co.uk/about", "acme.co.uk"},
		{"acme.co.uk", "acme.co.uk"},
		{"WWW.ACME.CO.UK.", "acme.co.uk"},
		{"http://shop.acme.com:8080/x?y=1#z", "acme.com"},
		{"acme.com/pricing", "acme.com"},
		{"jane@sales.acme.com", "acme.com"},
		{"https://acme.github.io/", "acme.github.io"},
		{"bücher.de", "xn--bcher-kva.de"},
		{"gmail.com", ""},
		{"https://mail.yahoo.co.uk", ""},
		{"x.mailinator.com", ""},
		{"co.uk", ""},
		{"localhost", ""},
		{"http://192.0.2.1/", ""},
		{"acme .com", ""},
		{"", ""},
		{"https://", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, AccountKey(tc.in)); diff != "" {
				t.Errorf("AccountKey(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParseEmployees(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"", 0, true}, {"0", 0, true}, {"1200", 1200, true}, {"1,200", 1200, true}, {" 1,200 ", 1200, true},
		{"51-200", 125, true}, {"51 - 200", 125, true}, {"51–200", 125, true}, {"11 to 50", 30, true},
		{"51-200 employees", 125, true}, {"10,001+ employees", 10001, true}, {"500+", 500, true},
		{"1k", 1000, true}, {"1.2k", 1200, true}, {"1k-5k", 3000, true}, {"Self-employed", 1, true},
		{"-5", 0, false}, {"lots", 0, false}, {"1.5", 0, false}, {"200-51", 0, false}, {"5-", 0, false},
		{"+5", 0, false}, {"99999999999999999999", 0, false}, {"10000001", 0, false}, {"9999999999999k", 0, false},
		{"9999999999999.5k", 0, false}, {"k", 0, false}, {"1.25k", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseEmployees(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseEmployees(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if err != nil && asError(t, err).Field != FieldEmployees {
				t.Errorf("error field = %q", asError(t, err).Field)
			}
			if got != tc.want {
				t.Errorf("ParseEmployees(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseConsent(t *testing.T) {
	tests := []struct {
		in   string
		want Consent
		ok   bool
	}{
		{"", ConsentUnknown, true}, {"yes", ConsentGranted, true}, {"TRUE", ConsentGranted, true},
		{"1", ConsentGranted, true}, {"on", ConsentGranted, true}, {"granted", ConsentGranted, true},
		{" Opt-In ", ConsentGranted, true}, {"no", ConsentDenied, true}, {"false", ConsentDenied, true},
		{"0", ConsentDenied, true}, {"denied", ConsentDenied, true}, {"off", ConsentDenied, true},
		{"unsubscribed", ConsentUnsubscribed, true}, {"maybe", "", false}, {"2", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseConsent(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseConsent(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if got != tc.want {
				t.Errorf("ParseConsent(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// benchFields is a typical web-form submission.
var benchFields = map[string]string{
	"email": "Jane.Doe@Acme.co.uk", "first_name": "Jane", "last_name": "Doe", "title": "VP of Sales",
	"company": "Acme Ltd", "website": "https://www.acme.co.uk/", "phone": "+44 20 7946 0958",
	"country": "United Kingdom", "employees": "51-200", "industry": "Software", "consent": "yes",
	"utm_source": "linkedin", "utm_campaign": "q3-demo",
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchFields); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("jane@acme.com", "VP Sales", "https://www.acme.co.uk", "+44 20 7946 0958", "UK", "NY", "51-200", "yes", "note")
	f.Add("JANE@gmail.com ", "Dir. of Marketing", "acme.io", "(201) 555-0123", "USA", "new york", "1,200", "no", "")
	f.Add("x@bücher.de", "", "http://192.0.2.1", "030 901820", "Deutschland", "", "1.2k", "", "\x00")
	f.Add(`"q"@[1.2.3.4]`, "\xff", "https://", "+", "Narnia", "ON", "-5", "maybe", "a\nb")
	f.Add("a@b.c", "CEO & Founder", "co.uk", "12", "", "", "10,001+", "on", "")
	f.Fuzz(func(t *testing.T, email, title, website, phone, country, state, employees, consent, extra string) {
		fields := map[string]string{
			"email": email, "title": title, "website": website, "phone": phone, "country": country,
			"state": state, "employees": employees, "consent": consent, "message": extra,
		}
		l, err := Parse(fields)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("error %v has code %q", err, ErrorCode(err))
			}
			return
		}
		if err := ValidateEmail(l.Email); err != nil {
			t.Fatalf("accepted lead has invalid email %q: %v", l.Email, err)
		}
		if l.Email != PersonKey(l.Email) {
			t.Fatalf("email %q is not its own person key", l.Email)
		}
		if l.Country != "" && Region(l.Country) == "" {
			t.Fatalf("country %q is not an ISO code", l.Country)
		}
		if l.Domain != "" && AccountKey(l.Domain) != l.Domain {
			t.Fatalf("domain %q is not its own account key", l.Domain)
		}
		again := cloneLead(l)
		Normalize(again)
		if diff := cmp.Diff(l, again); diff != "" {
			t.Fatalf("Normalize not idempotent (-first +second):\n%s", diff)
		}
	})
}
