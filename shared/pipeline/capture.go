package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/lead"
)

// Capture sources.
const (
	SourceWebForm  = "web_form"
	SourceLinkedIn = "linkedin"
	SourceImport   = "import"
)

// dedupeWindow is how long an identical submission without an
// Idempotency-Key is treated as a retry of the first.
const dedupeWindow = 10 * time.Minute

// idempotencyTTL is how long an Idempotency-Key is remembered.
const idempotencyTTL = 24 * time.Hour

// Submission is one captured form post, LinkedIn lead or import row, with
// its fields as posted (before the form's field map).
type Submission struct {
	Form           string
	Source         string // SourceWebForm when empty
	Fields         map[string]string
	IdempotencyKey string
	CorrelationID  string
}

// CaptureResult says which lead a submission landed on.
type CaptureResult struct {
	LeadID  string
	Created bool // a new lead (false: merged into an existing one, or a retry)
	Dropped bool // a honeypot hit: accepted and dropped
}

// Capture validates, normalises and stores a submission and publishes it.
// Returns ENOTFOUND for an unknown form and EINVALID naming the field for
// bad input. A retried submission (same Idempotency-Key, or the same
// payload within a window) returns the same lead and creates nothing new; a
// resubmission by a known email merges into that lead and adds an activity.
func (s *Service) Capture(ctx context.Context, sub Submission) (CaptureResult, error) {
	form, err := s.form(sub)
	if err != nil {
		return CaptureResult{}, err
	}
	if form.Honeypot != "" && strings.TrimSpace(sub.Fields[form.Honeypot]) != "" {
		s.count("honeypot_dropped", 1, "form", form.Name)
		return CaptureResult{LeadID: s.IDs.NewID(), Dropped: true}, nil
	}
	fields, err := mapFields(form, sub.Fields)
	if err != nil {
		return CaptureResult{}, err
	}
	l, err := lead.Parse(fields)
	if err != nil {
		return CaptureResult{}, err
	}
	now := s.Clock.Now().UTC()
	key := submissionKey(form.Name, sub, fields, now)
	ttl := idempotencyTTL
	if sub.IdempotencyKey == "" {
		ttl = 2 * dedupeWindow
	}

	candidate := s.IDs.NewID()
	if existing, err := s.Store.LeadByEmail(ctx, l.Email); err == nil {
		candidate = existing.ID
	} else if !lead.IsCode(err, lead.ENOTFOUND) {
		return CaptureResult{}, fmt.Errorf("look up lead by email: %w", err)
	}
	leadID, _, err := s.Store.PutOnce(ctx, key, candidate, ttl)
	if err != nil {
		return CaptureResult{}, fmt.Errorf("record submission: %w", err)
	}

	source := form.Source
	if sub.Source != "" {
		source = sub.Source
	}
	act := lead.Activity{
		ID:         "sub-" + shortHash(key),
		Type:       lead.ActivityFormSubmit,
		OccurredAt: now,
		Form:       form.Name,
		Properties: map[string]string{"source": source},
	}
	l.ID = leadID
	l.Source, l.Form = source, form.Name
	l.CreatedAt, l.UpdatedAt, l.LastActivityAt = now, now, now
	l.Enrichment.Status = lead.EnrichmentPending

	// The activity goes first so that a lead, once visible, already has its
	// submission; a new lead is created with its lead.captured pending.
	act.LeadID = leadID
	if _, err := s.Store.AddActivity(ctx, act); err != nil {
		return CaptureResult{}, fmt.Errorf("record form submission of lead %s: %w", leadID, err)
	}
	if err := s.stage(l, []events.Detail{events.Captured{Header: s.header(l, sub.CorrelationID), Source: source, Form: form.Name, Created: true, ActivityID: act.ID}}); err != nil {
		return CaptureResult{}, err
	}
	created, leadID, err := s.ensureLead(ctx, l)
	if err != nil {
		return CaptureResult{}, err
	}
	if created {
		s.count("leads_captured", 1, "source", source)
		return CaptureResult{LeadID: leadID, Created: true}, s.flush(ctx, l)
	}
	if act.LeadID != leadID {
		// The email belongs to a lead created concurrently under another id.
		act.LeadID = leadID
		if _, err := s.Store.AddActivity(ctx, act); err != nil {
			return CaptureResult{}, fmt.Errorf("record form submission of lead %s: %w", leadID, err)
		}
	}
	// Every accepted call publishes (again, on a retry): a crash after the
	// writes above but before the publish must not leave the lead stuck, and
	// consumers are idempotent.
	_, err = s.mutate(ctx, leadID, func(cur *lead.Lead) ([]events.Detail, bool, error) {
		h := s.header(cur, sub.CorrelationID)
		merge(cur, l)
		if now.After(cur.LastActivityAt) {
			cur.LastActivityAt = now
		}
		// Until enrichment has run the lead is still "captured": a retry
		// re-publishes that, never skipping enrichment.
		if cur.Enrichment.Status == lead.EnrichmentPending {
			return []events.Detail{events.Captured{Header: h, Source: source, Form: form.Name, ActivityID: act.ID}}, true, nil
		}
		return []events.Detail{events.ActivityRecorded{Header: h, ActivityID: act.ID, ActivityType: act.Type}}, true, nil
	})
	if err != nil {
		return CaptureResult{}, err
	}
	return CaptureResult{LeadID: leadID}, nil
}

// ensureLead creates l unless a lead with its ID or email exists, and returns
// whether it created it and the ID of the lead that holds the email.
func (s *Service) ensureLead(ctx context.Context, l *lead.Lead) (bool, string, error) {
	if _, err := s.Store.GetLead(ctx, l.ID); err == nil {
		return false, l.ID, nil
	} else if !lead.IsCode(err, lead.ENOTFOUND) {
		return false, "", fmt.Errorf("get lead %s: %w", l.ID, err)
	}
	l.Stage = lead.StageNew
	err := s.Store.CreateLead(ctx, l)
	if err == nil {
		return true, l.ID, nil
	}
	if !lead.IsCode(err, lead.ECONFLICT) {
		return false, "", fmt.Errorf("create lead: %w", err)
	}
	// Another submission claimed the email first: merge into its lead.
	existing, gerr := s.Store.LeadByEmail(ctx, l.Email)
	if gerr != nil {
		return false, "", fmt.Errorf("look up lead by email after conflict: %w", gerr)
	}
	return false, existing.ID, nil
}

// merge copies the non-empty profile fields of a resubmission onto the lead:
// what the person just typed is the freshest value.
func merge(dst, src *lead.Lead) {
	set := func(d *string, v string) {
		if v != "" {
			*d = v
		}
	}
	set(&dst.FirstName, src.FirstName)
	set(&dst.LastName, src.LastName)
	set(&dst.Title, src.Title)
	set(&dst.Company, src.Company)
	set(&dst.Website, src.Website)
	set(&dst.Phone, src.Phone)
	set(&dst.Country, src.Country)
	set(&dst.State, src.State)
	set(&dst.Industry, src.Industry)
	set(&dst.Seniority, src.Seniority)
	set(&dst.Function, src.Function)
	if src.Domain != "" && !src.FreeEmail {
		dst.Domain = src.Domain
	}
	if src.Employees > 0 {
		dst.Employees = src.Employees
	}
	if src.Consent != "" && src.Consent != lead.ConsentUnknown && dst.Consent != lead.ConsentUnsubscribed {
		dst.Consent = src.Consent
	}
	for k, v := range src.Extras {
		if dst.Extras == nil {
			dst.Extras = map[string]string{}
		}
		dst.Extras[k] = v
	}
}

func (s *Service) form(sub Submission) (Form, error) {
	if sub.Source == SourceLinkedIn {
		if f, ok := s.Rules.Sources[SourceLinkedIn]; ok {
			if f.Source == "" {
				f.Source = SourceLinkedIn
			}
			return f, nil
		}
		return Form{}, lead.Errorf(lead.ENOTFOUND, "no linkedin source is configured")
	}
	f, ok := s.Rules.Forms[sub.Form]
	if !ok {
		return Form{}, &lead.Error{Code: lead.ENOTFOUND, Field: "form", Message: fmt.Sprintf("unknown form %q", sub.Form)}
	}
	if f.Source == "" {
		f.Source = SourceWebForm
	}
	return f, nil
}

// mapFields applies the form's field map; unmapped names pass through
// unchanged (known lead fields, or extras). Required fields are checked
// after mapping so the error names the lead field.
func mapFields(f Form, posted map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(posted))
	for name, v := range posted {
		if name == f.Honeypot {
			continue
		}
		if to, ok := f.FieldMap[name]; ok {
			name = to
		} else if canon := canonicalName(name); canonical[canon] {
			name = canon // "First Name" or "first-name" is first_name
		}
		if prev, dup := out[name]; dup && prev != "" && v == "" {
			continue
		}
		out[name] = v
	}
	for _, req := range f.Required {
		if strings.TrimSpace(out[req]) == "" {
			return nil, lead.FieldError(req, "is required by form %q", f.Name)
		}
	}
	return out, nil
}

// canonical holds the lead field names a posted name may spell loosely.
var canonical = map[string]bool{
	lead.FieldEmail: true, lead.FieldFirstName: true, lead.FieldLastName: true, lead.FieldTitle: true,
	lead.FieldCompany: true, lead.FieldWebsite: true, lead.FieldPhone: true, lead.FieldCountry: true,
	lead.FieldState: true, lead.FieldEmployees: true, lead.FieldIndustry: true, lead.FieldConsent: true,
}

// canonicalName lower-cases a posted field name and joins its words with
// underscores.
func canonicalName(name string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == ' ' || r == '-' || r == '_' }), "_")
}

// submissionKey is the idempotency key of a submission: the client's key,
// or a hash of the form and the mapped fields within the dedupe window.
func submissionKey(form string, sub Submission, fields map[string]string, now time.Time) string {
	if sub.IdempotencyKey != "" {
		return "idem:" + form + ":" + shortHash(sub.IdempotencyKey)
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(form)
	for _, k := range names {
		b.WriteString("\x00" + k + "\x00" + fields[k])
	}
	window := now.Truncate(dedupeWindow).Unix()
	return fmt.Sprintf("dedupe:%s:%d", shortHash(b.String()), window)
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:12])
}
