package pipeline

import (
	"context"
	"log/slog"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

// deliveredTTL is how long a delivery is remembered: longer than a message
// can wait in a queue and then its dead-letter queue (14 days) before a
// redrive delivers it again.
const deliveredTTL = 30 * 24 * time.Hour

// NotifyOnce returns n keeping Notification.Key's promise for a channel
// that does not deduplicate by itself (Slack, SES): a notification whose
// key the channel has delivered is dropped. See deliverOnce; log receives
// the records that could not be written.
func NotifyOnce(store Store, channel string, log *slog.Logger, n Notifier) Notifier {
	return onceNotifier{deliveries{store, channel, log}, n}
}

// MailOnce returns m keeping Email.Key's promise for a mailer that does not
// deduplicate by itself (SES). See NotifyOnce.
func MailOnce(store Store, channel string, log *slog.Logger, m Mailer) Mailer {
	return onceMailer{deliveries{store, channel, log}, m}
}

type onceNotifier struct {
	d deliveries
	n Notifier
}

func (o onceNotifier) Notify(ctx context.Context, n Notification) error {
	return o.d.deliverOnce(ctx, n.Key, n.To, n.LeadID, func() error { return o.n.Notify(ctx, n) })
}

type onceMailer struct {
	d deliveries
	m Mailer
}

func (o onceMailer) Send(ctx context.Context, e Email) error {
	return o.d.deliverOnce(ctx, e.Key, e.To, e.LeadID, func() error { return o.m.Send(ctx, e) })
}

// deliveries records, in the store, what one channel has delivered.
type deliveries struct {
	store   Store
	channel string
	log     *slog.Logger
}

// deliverOnce calls send unless the channel has delivered key, and records
// key once send succeeds. The record comes after the delivery, so a failed
// delivery is retried, and a redelivered event (the queues deliver at least
// once) sends nothing twice; a crash between the two repeats a message
// rather than losing it. The record holds the lead id, so erasing the lead
// erases it. Returns EINVALID, as the local outbox does, for a message
// without a key or a recipient.
func (d deliveries) deliverOnce(ctx context.Context, key, to, leadID string, send func() error) error {
	switch {
	case key == "":
		return lead.FieldError("key", "no deduplication key")
	case to == "":
		return lead.FieldError("to", "no recipient")
	}
	record := "delivered:" + d.channel + ":" + key
	if _, done, err := d.store.GetOnce(ctx, record); err != nil || done {
		return err
	}
	if err := send(); err != nil {
		return err
	}
	// The message is out: failing now would have the retry send it again,
	// which the record exists to prevent. A record that could not be written
	// only leaves a later redelivery undetected.
	if _, _, err := d.store.PutOnce(ctx, record, leadID, deliveredTTL); err != nil {
		d.log.WarnContext(ctx, "delivery record not written; a redelivery would send again", "channel", d.channel, "lead_id", leadID, "err", err)
	}
	return nil
}
