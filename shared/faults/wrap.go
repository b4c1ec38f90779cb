package faults

import (
	"context"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/handlers"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// Wrap replaces every port of svc that is set (Store, Publisher, Sender,
// Scheduler, Notifier, Mailer, Enricher) by a faulty wrapper of it. Clock and
// IDs are left alone: they do not fail.
func (in *Injector) Wrap(svc *pipeline.Service) {
	if svc.Store != nil {
		svc.Store = in.Store(svc.Store)
	}
	if svc.Publisher != nil {
		svc.Publisher = in.Publisher(svc.Publisher)
	}
	if svc.Sender != nil {
		svc.Sender = in.Sender(svc.Sender)
	}
	if svc.Scheduler != nil {
		svc.Scheduler = in.Scheduler(svc.Scheduler)
	}
	if svc.Notifier != nil {
		svc.Notifier = in.Notifier(svc.Notifier)
	}
	if svc.Mailer != nil {
		svc.Mailer = in.Mailer(svc.Mailer)
	}
	if svc.Enricher != nil {
		svc.Enricher = in.Enricher(svc.Enricher)
	}
}

// value runs a call that returns a value under the decision for port.
func value[T any](in *Injector, port Port, op string, write bool, fn func() (T, error)) (T, error) {
	var out T
	err := in.call(port, op, write, func() error {
		var err error
		out, err = fn()
		return err
	})
	return out, err
}

// Store wraps s: reads fail at the store rate, writes fail or lose their
// reply. It returns what s returns, or EUNAVAILABLE when a fault is injected.
func (in *Injector) Store(s pipeline.Store) pipeline.Store { return &store{in: in, s: s} }

type store struct {
	in *Injector
	s  pipeline.Store
}

var _ pipeline.Store = (*store)(nil)

func (f *store) CreateLead(ctx context.Context, l *lead.Lead) error {
	return f.in.call(Store, "create lead", true, func() error { return f.s.CreateLead(ctx, l) })
}

func (f *store) GetLead(ctx context.Context, id string) (*lead.Lead, error) {
	return value(f.in, Store, "get lead", false, func() (*lead.Lead, error) { return f.s.GetLead(ctx, id) })
}

func (f *store) LeadByEmail(ctx context.Context, email string) (*lead.Lead, error) {
	return value(f.in, Store, "lead by email", false, func() (*lead.Lead, error) { return f.s.LeadByEmail(ctx, email) })
}

func (f *store) UpdateLead(ctx context.Context, l *lead.Lead) error {
	return f.in.call(Store, "update lead", true, func() error { return f.s.UpdateLead(ctx, l) })
}

func (f *store) DeleteLead(ctx context.Context, id string) error {
	return f.in.call(Store, "delete lead", true, func() error { return f.s.DeleteLead(ctx, id) })
}

func (f *store) AddActivity(ctx context.Context, a lead.Activity) (bool, error) {
	return value(f.in, Store, "add activity", true, func() (bool, error) { return f.s.AddActivity(ctx, a) })
}

func (f *store) Activities(ctx context.Context, leadID string) ([]lead.Activity, error) {
	return value(f.in, Store, "activities", false, func() ([]lead.Activity, error) { return f.s.Activities(ctx, leadID) })
}

func (f *store) GetAccount(ctx context.Context, domain string) (*lead.Account, error) {
	return value(f.in, Store, "get account", false, func() (*lead.Account, error) { return f.s.GetAccount(ctx, domain) })
}

func (f *store) PutAccount(ctx context.Context, a *lead.Account) error {
	return f.in.call(Store, "put account", true, func() error { return f.s.PutAccount(ctx, a) })
}

func (f *store) ClaimAccountOwner(ctx context.Context, domain, owner string) (string, error) {
	return value(f.in, Store, "claim account owner", true, func() (string, error) { return f.s.ClaimAccountOwner(ctx, domain, owner) })
}

func (f *store) PutOnce(ctx context.Context, key, val string, ttl time.Duration) (string, bool, error) {
	var created bool
	stored, err := value(f.in, Store, "put once", true, func() (string, error) {
		v, c, err := f.s.PutOnce(ctx, key, val, ttl)
		created = c
		return v, err
	})
	if err != nil {
		return "", false, err
	}
	return stored, created, nil
}

func (f *store) Increment(ctx context.Context, counter string) (int64, error) {
	return value(f.in, Store, "increment", true, func() (int64, error) { return f.s.Increment(ctx, counter) })
}

func (f *store) GetOnce(ctx context.Context, key string) (string, bool, error) {
	var ok bool
	v, err := value(f.in, Store, "get once", false, func() (string, error) {
		v, o, err := f.s.GetOnce(ctx, key)
		ok = o
		return v, err
	})
	if err != nil {
		return "", false, err
	}
	return v, ok, nil
}

func (f *store) AddCapped(ctx context.Context, counter string, delta, limit int64) (int64, bool, error) {
	var added bool
	total, err := value(f.in, Store, "add capped", true, func() (int64, error) {
		n, a, err := f.s.AddCapped(ctx, counter, delta, limit)
		added = a
		return n, err
	})
	if err != nil {
		return 0, false, err
	}
	return total, added, nil
}

func (f *store) OwnerQueue(ctx context.Context, owner string, limit int) ([]*lead.Lead, error) {
	return value(f.in, Store, "owner queue", false, func() ([]*lead.Lead, error) { return f.s.OwnerQueue(ctx, owner, limit) })
}

func (f *store) OpenLeads(ctx context.Context, owner string) (int, error) {
	return value(f.in, Store, "open leads", false, func() (int, error) { return f.s.OpenLeads(ctx, owner) })
}

func (f *store) InactiveSince(ctx context.Context, t time.Time, cursor string, limit int) ([]*lead.Lead, string, error) {
	var next string
	page, err := value(f.in, Store, "inactive since", false, func() ([]*lead.Lead, error) {
		p, n, err := f.s.InactiveSince(ctx, t, cursor, limit)
		next = n
		return p, err
	})
	if err != nil {
		return nil, "", err
	}
	return page, next, nil
}

func (f *store) ScanLeads(ctx context.Context, fn func(*lead.Lead) error) error {
	return f.in.call(Store, "scan leads", false, func() error { return f.s.ScanLeads(ctx, fn) })
}

// Publisher wraps p; a lost reply means the events are on the bus although
// the caller saw EUNAVAILABLE.
func (in *Injector) Publisher(p pipeline.Publisher) pipeline.Publisher {
	return publisher{in: in, p: p}
}

type publisher struct {
	in *Injector
	p  pipeline.Publisher
}

func (f publisher) Publish(ctx context.Context, envs ...events.Envelope) error {
	return f.in.call(Publish, "publish", true, func() error { return f.p.Publish(ctx, envs...) })
}

// Sender wraps s like Publisher.
func (in *Injector) Sender(s pipeline.Sender) pipeline.Sender { return sender{in: in, s: s} }

type sender struct {
	in *Injector
	s  pipeline.Sender
}

func (f sender) Send(ctx context.Context, to events.Consumer, envs ...events.Envelope) error {
	return f.in.call(Send, "send", true, func() error { return f.s.Send(ctx, to, envs...) })
}

// Scheduler wraps s; both Schedule and Cancel can fail or lose their reply.
func (in *Injector) Scheduler(s pipeline.Scheduler) pipeline.Scheduler {
	return scheduler{in: in, s: s}
}

type scheduler struct {
	in *Injector
	s  pipeline.Scheduler
}

func (f scheduler) Schedule(ctx context.Context, t pipeline.Timer) error {
	return f.in.call(Schedule, "schedule", true, func() error { return f.s.Schedule(ctx, t) })
}

func (f scheduler) Cancel(ctx context.Context, key string) error {
	return f.in.call(Schedule, "cancel", true, func() error { return f.s.Cancel(ctx, key) })
}

// Notifier wraps n; a lost reply means the message went out although the
// caller saw EUNAVAILABLE, so the retry must be deduplicated by its key.
func (in *Injector) Notifier(n pipeline.Notifier) pipeline.Notifier { return notifier{in: in, n: n} }

type notifier struct {
	in *Injector
	n  pipeline.Notifier
}

func (f notifier) Notify(ctx context.Context, n pipeline.Notification) error {
	return f.in.call(Notify, "notify", true, func() error { return f.n.Notify(ctx, n) })
}

// Delete erases what the wrapped Notifier kept of a lead, when it is a
// pipeline.LeadDeleter; otherwise it only counts as a call.
func (f notifier) Delete(ctx context.Context, leadID string) error {
	return f.in.call(Notify, "delete", true, func() error { return deleteLead(ctx, f.n, leadID) })
}

func deleteLead(ctx context.Context, port any, leadID string) error {
	if d, ok := port.(pipeline.LeadDeleter); ok {
		return d.Delete(ctx, leadID)
	}
	return nil
}

// Mailer wraps m like Notifier.
func (in *Injector) Mailer(m pipeline.Mailer) pipeline.Mailer { return mailer{in: in, m: m} }

type mailer struct {
	in *Injector
	m  pipeline.Mailer
}

func (f mailer) Send(ctx context.Context, e pipeline.Email) error {
	return f.in.call(Mail, "send email", true, func() error { return f.m.Send(ctx, e) })
}

// Delete erases what the wrapped Mailer kept of a lead, like
// notifier.Delete.
func (f mailer) Delete(ctx context.Context, leadID string) error {
	return f.in.call(Mail, "delete", true, func() error { return deleteLead(ctx, f.m, leadID) })
}

// Enricher wraps e; a lost reply stands for a provider that answered (and
// charged) after the caller gave up.
func (in *Injector) Enricher(e pipeline.Enricher) pipeline.Enricher { return enricher{in: in, e: e} }

type enricher struct {
	in *Injector
	e  pipeline.Enricher
}

func (f enricher) Enrich(ctx context.Context, req pipeline.EnrichRequest) (pipeline.EnrichResult, error) {
	return value(f.in, Enrich, "enrich", true, func() (pipeline.EnrichResult, error) { return f.e.Enrich(ctx, req) })
}

// Handler wraps a queue consumer: a failed delivery fails the whole batch
// without running h (as a Lambda that timed out before starting), and a
// lost reply runs h and then reports every record failed, so the queue
// delivers the batch again: the duplicate delivery consumers must absorb.
func (in *Injector) Handler(h handlers.SQSHandler) handlers.SQSHandler {
	return func(ctx context.Context, ev awsevents.SQSEvent) (awsevents.SQSEventResponse, error) {
		var resp awsevents.SQSEventResponse
		err := in.call(Deliver, "delivery", true, func() error {
			var err error
			resp, err = h(ctx, ev)
			return err
		})
		return resp, err
	}
}
