package replay

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/history"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/scoring"
)

// Item is one historical lead ready to store: the lead and its activities.
type Item struct {
	Lead       *lead.Lead
	Activities []lead.Activity
}

// ImportOptions tune how history records become leads.
type ImportOptions struct {
	// Activities maps signal names (the mapping's numeric features) to
	// activity types: a signal's value, rounded, becomes that many
	// activities at the lead's creation time. A signal named after an
	// activity type (page_view, email_open, …) maps to it unless listed.
	Activities map[string]lead.ActivityType
	// MaxActivities caps the activities made from one signal (default
	// 1000), so that one wild value cannot bloat the store.
	MaxActivities int
	// Now stamps UpdatedAt, and CreatedAt when the history has none.
	Now time.Time
	// Name is the history file's name in error positions ("history" when
	// empty).
	Name string
}

// HistoryEmailDomain is the domain of the placeholder emails of imported
// leads: CRM exports rarely carry one, the store keys leads by email, and the
// reserved .invalid TLD can never receive mail.
const HistoryEmailDomain = "history.invalid"

// Codes and causes that imported leads carry.
const (
	CodeImportedScore = "imported_score" // the score column of the history
	CauseImport       = "history import"
)

// maxRowErrors bounds the error report, as history.Read does.
const maxRowErrors = 20

// FromHistory turns imported history into leads. Each record becomes a lead
// validated as a form submission is (lead.Parse): its mapped fields (title,
// company, industry, country, state, employees; the other roles are kept in
// Extras under their names, every feature value under FeatureExtra), the CRM lead source
// as Source, the outcome as Outcome with its stage (won: customer, lost:
// closed_lost, open: the stage column when it names a leadflow stage, else
// new), created_at, the score column as an imported score, speed-to-lead as
// RoutedAt and the SLA column as an "sla" history entry. IDs derive from the
// record's id column (or the file and line), so importing twice finds the
// same leads. Returns an EINVALID error naming the file, line and column of
// each bad value, or an activity type that does not exist.
func FromHistory(ds *history.Dataset, opts ImportOptions) ([]Item, error) {
	if opts.MaxActivities <= 0 {
		opts.MaxActivities = 1000
	}
	acts, err := activityMap(ds.Mapping, opts.Activities)
	if err != nil {
		return nil, err
	}
	cols := columnsOf(ds.Mapping)
	items := make([]Item, 0, len(ds.Records))
	var errs []error
	for i := range ds.Records {
		it, err := fromRecord(ds, &ds.Records[i], acts, cols, opts)
		if err != nil {
			if len(errs) < maxRowErrors {
				errs = append(errs, err)
			}
			continue
		}
		items = append(items, it)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return items, nil
}

// activityMap resolves the signal → activity type map against the mapping.
func activityMap(m *history.Mapping, explicit map[string]lead.ActivityType) (map[string]lead.ActivityType, error) {
	out := map[string]lead.ActivityType{}
	for _, f := range m.Features {
		if f.Kind == history.Numeric && slices.Contains(lead.ActivityTypes, lead.ActivityType(f.Name)) {
			out[f.Name] = lead.ActivityType(f.Name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(explicit)) {
		t := explicit[name]
		if !slices.ContainsFunc(m.Features, func(f history.FeatureSpec) bool { return f.Name == name && f.Kind == history.Numeric && f.Column != "" }) {
			return nil, lead.Errorf(lead.EINVALID, "activities: %q is not a signal of the mapping", name)
		}
		if !slices.Contains(lead.ActivityTypes, t) {
			return nil, lead.Errorf(lead.EINVALID, "activities: %q is not an activity type (want one of %s)", t, typeList())
		}
		out[name] = t
	}
	return out, nil
}

func typeList() string {
	names := make([]string, len(lead.ActivityTypes))
	for i, t := range lead.ActivityTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// columnsOf maps the lead fields and extras an import sets to the columns
// they come from, so that a validation error names the column.
func columnsOf(m *history.Mapping) map[string]string {
	cols := map[string]string{}
	for _, f := range m.Features {
		if f.Column != "" {
			cols[FeatureExtra(f.Name)] = f.Column
		}
	}
	for _, f := range m.Fields {
		cols[roleKey(f)] = f.Column.Name
	}
	return cols
}

// FeatureExtra is the Extras key under which an imported lead keeps a
// feature's value as the history file had it (what the model was trained
// on): the feature's name, or "raw_<name>" when the name is a canonical
// lead field (country, title, …), whose normalised value the field holds.
// A config's model section reads it as lead.extras.<key>.
func FeatureExtra(name string) string {
	if slices.Contains(canonicalFields, name) {
		return "raw_" + name
	}
	return name
}

var canonicalFields = []string{lead.FieldEmail, lead.FieldFirstName, lead.FieldLastName, lead.FieldTitle, lead.FieldCompany, lead.FieldWebsite,
	lead.FieldPhone, lead.FieldCountry, lead.FieldState, lead.FieldEmployees, lead.FieldIndustry, lead.FieldConsent}

// roleKey is where a mapped field lands: its role's canonical field, or the
// role (or field name) as an extra.
func roleKey(f history.FieldMapping) string {
	if f.As == "" {
		return f.Name
	}
	return f.As
}

func fromRecord(ds *history.Dataset, r *history.Record, acts map[string]lead.ActivityType, cols map[string]string, opts ImportOptions) (Item, error) {
	id := recordID(ds, r)
	fields := map[string]string{lead.FieldEmail: id + "@" + HistoryEmailDomain}
	for _, name := range slices.Sorted(maps.Keys(r.Features.Categorical)) {
		fields[FeatureExtra(name)] = r.Features.Categorical[name]
	}
	for _, name := range slices.Sorted(maps.Keys(r.Features.Numeric)) {
		if _, isActivity := acts[name]; !isActivity {
			fields[FeatureExtra(name)] = strconv.FormatFloat(r.Features.Numeric[name], 'g', -1, 64)
		}
	}
	form := ""
	for role, v := range r.Lead {
		if role == "form" {
			form = v
			continue
		}
		fields[role] = v // a canonical field, or an extra under the role's name
	}
	l, err := lead.Parse(fields)
	if err != nil {
		return Item{}, rowError(cmp.Or(opts.Name, "history"), r, cols, err)
	}
	// The placeholder email names no company: no account, no domain.
	l.EmailDomain, l.Domain = "", ""
	l.ID, l.Source, l.Form = id, r.Source, form
	if l.Source == "" {
		l.Source = "import"
	}
	created := r.CreatedAt
	if created.IsZero() {
		created = opts.Now
	}
	l.CreatedAt, l.UpdatedAt, l.LastActivityAt = created.UTC(), opts.Now.UTC(), created.UTC()
	switch r.Outcome {
	case history.OutcomeWon:
		l.Outcome, l.Stage = scoring.OutcomeClosedWon, lead.StageCustomer
	case history.OutcomeLost:
		l.Outcome, l.Stage = scoring.OutcomeClosedLost, lead.StageClosedLost
	default:
		if s := lead.Stage(strings.ToLower(r.Stage)); s.Valid() {
			l.Stage = s
		}
	}
	if r.HasScore {
		l.Score = lead.Score{Total: r.Score, Reasons: []lead.Reason{{Code: CodeImportedScore, Points: r.Score, Detail: "the score column of the history"}}, ConfigVersion: "history:" + ds.SHA256[:min(12, len(ds.SHA256))], At: created.UTC()}
	}
	if r.HasSpeedToLead {
		l.RoutedAt = created.Add(r.SpeedToLead).UTC()
	}
	if r.HasSLA {
		to := "met"
		if r.SLABreached {
			to = "breached"
		}
		l.History = append(l.History, lead.Change{At: created.UTC(), Kind: "sla", To: to, Cause: CauseImport})
	}
	l.History = append(l.History, lead.Change{At: opts.Now.UTC(), Kind: "stage", To: string(l.Stage), Cause: CauseImport})
	it := Item{Lead: l}
	for _, name := range slices.Sorted(maps.Keys(acts)) {
		x, ok := r.Features.Numeric[name]
		if !ok {
			continue
		}
		n := int(math.Min(math.Max(math.Round(x), 0), float64(opts.MaxActivities)))
		for i := range n {
			it.Activities = append(it.Activities, lead.Activity{ID: fmt.Sprintf("%s-%d", name, i+1), LeadID: id, Type: acts[name], OccurredAt: created.UTC()})
		}
	}
	return it, nil
}

// recordID derives a stable lead ID from the record's id, or from the file's
// hash and the line when the mapping has no id column.
func recordID(ds *history.Dataset, r *history.Record) string {
	key := "id\x00" + r.ID
	if r.ID == "" {
		key = fmt.Sprintf("line\x00%s\x00%d", ds.SHA256, r.Line)
	}
	sum := sha256.Sum256([]byte(key))
	return "h-" + hex.EncodeToString(sum[:12])
}

// rowError places a lead validation error at the record's line and the
// column its field came from, as the form API names the field.
func rowError(file string, r *history.Record, cols map[string]string, err error) error {
	var le *lead.Error
	if !errors.As(err, &le) {
		return fmt.Errorf("line %d: %w", r.Line, err)
	}
	name := strings.TrimPrefix(le.Field, "extras.")
	where := fmt.Sprintf("%s:%d", file, r.Line)
	if c, ok := cols[name]; ok {
		where += fmt.Sprintf(": column %q", c)
	} else if le.Field != "" {
		where += ": " + le.Field
	}
	return &lead.Error{Code: le.Code, Field: where, Message: le.Message}
}

// Importer is the part of the Store port an import writes through. It must
// be safe for concurrent use.
type Importer interface {
	CreateLead(ctx context.Context, l *lead.Lead) error
	AddActivity(ctx context.Context, a lead.Activity) (bool, error)
}

// ImportResult counts what an import did.
type ImportResult struct {
	Created    int // leads stored
	Existing   int // leads already stored by an earlier import (left as they are)
	Activities int // activities stored
}

// Import stores the items with workers concurrent writers (at least one):
// each lead is created, then its activities are added. A lead whose ID is
// already stored is left as it is, and activities are idempotent by ID, so
// re-running an import (after a crash, say) adds only what is missing.
// Returns the first store error other than that conflict, wrapped with the
// lead's ID; what was stored before it stays, and the other writers stop.
func Import(ctx context.Context, st Importer, items []Item, workers int) (ImportResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		res      ImportResult
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan *Item)
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				r, err := importOne(ctx, st, it)
				mu.Lock()
				res.Created += r.Created
				res.Existing += r.Existing
				res.Activities += r.Activities
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	for i := range items {
		select {
		case next <- &items[i]:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = fmt.Errorf("import: %w", context.Cause(ctx))
	}
	return res, firstErr
}

func importOne(ctx context.Context, st Importer, it *Item) (ImportResult, error) {
	var res ImportResult
	l := *it.Lead
	switch err := st.CreateLead(ctx, &l); {
	case lead.IsCode(err, lead.ECONFLICT):
		res.Existing++
	case err != nil:
		return res, fmt.Errorf("import lead %s: %w", l.ID, err)
	default:
		res.Created++
	}
	for _, a := range it.Activities {
		created, err := st.AddActivity(ctx, a)
		if err != nil {
			return res, fmt.Errorf("import activity %s of lead %s: %w", a.ID, l.ID, err)
		}
		if created {
			res.Activities++
		}
	}
	return res, nil
}
