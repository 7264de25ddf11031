// Package mail sends Portico's e-mail: transcripts of closed chats (to a category's address and
// to operators who asked for copies), the transcripts visitors ask for, and offline messages.
//
// Every e-mail is first a row in the outbox, written in the same transaction as the change that
// causes it, so nothing is lost when the mail server or the node is down. A Worker on each node
// claims due rows, renders and sends them, and retries failures with exponential back-off.
package mail

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	netmail "net/mail"
	"time"

	"github.com/portico/portico/internal/domain"
)

// WorkerStore is the outbox and what rendering reads.
type WorkerStore interface {
	RenderStore
	DueMail(ctx context.Context, now time.Time, limit int) ([]domain.OutboxMail, error)
	ClaimMail(ctx context.Context, id string, due, lease time.Time) (bool, error)
	MailSent(ctx context.Context, id string, at time.Time) error
	MailFailed(ctx context.Context, id string, at, next time.Time, lastError string, giveUp bool) error
}

// Defaults for a Worker.
const (
	DefaultPoll        = 5 * time.Second
	DefaultLease       = 5 * time.Minute
	DefaultGiveUpAfter = 72 * time.Hour
	DefaultBatch       = 20
	firstRetry         = 5 * time.Second
	maxRetry           = 15 * time.Minute
)

// Backoff is the wait before attempt n+1 after n failed attempts: 5 s doubling up to 15 min,
// give or take a fifth, so that many nodes retrying after an outage do not knock in step.
func Backoff(attempts int) time.Duration {
	d := firstRetry
	for i := 1; i < attempts && d < maxRetry; i++ {
		d *= 2
	}
	d = min(d, maxRetry)
	return d - d/5 + time.Duration(rand.Int64N(int64(d)*2/5+1))
}

// Worker sends the outbox. Several nodes may run one on the same database: a row is claimed by
// moving its next_attempt_at forward with a compare-and-set, so one worker sends it. A node that
// dies while sending leaves the row to be sent again once its lease ends (at least once).
type Worker struct {
	store     WorkerStore
	sender    Sender // nil: no mail server configured; mail waits in the outbox
	from      *netmail.Address
	publicURL string
	log       *slog.Logger
	wake      chan struct{}

	// The knobs below may be changed before Run; tests make time short.
	Now         func() time.Time
	Backoff     func(attempts int) time.Duration
	Poll        time.Duration // how often to look for due mail besides being woken
	Lease       time.Duration // how long a claimed row is left to its worker
	GiveUpAfter time.Duration // a mail still failing this long after it was queued is given up
	Batch       int
}

// NewWorker makes a worker; sender may be nil when no mail server is configured.
func NewWorker(s WorkerStore, sender Sender, from *netmail.Address, publicURL string, log *slog.Logger) *Worker {
	return &Worker{
		store: s, sender: sender, from: from, publicURL: publicURL, log: log,
		wake:        make(chan struct{}, 1),
		Now:         time.Now,
		Backoff:     Backoff,
		Poll:        DefaultPoll,
		Lease:       DefaultLease,
		GiveUpAfter: DefaultGiveUpAfter,
		Batch:       DefaultBatch,
	}
}

// Configured says whether mail is sent at all (a mail server is configured).
func (w *Worker) Configured() bool { return w.sender != nil }

// Wake asks the worker to look at the outbox now: mail was just queued on this node.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends due mail until ctx ends. Without a mail server it only waits: the outbox keeps
// everything until a node starts with --smtp-url.
func (w *Worker) Run(ctx context.Context) error {
	if w.sender == nil {
		w.log.Info("no --smtp-url: e-mail is kept in the outbox and sent once a mail server is configured")
		<-ctx.Done()
		return nil
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-w.wake:
		}
		for ctx.Err() == nil {
			n, err := w.RunOnce(ctx)
			if err != nil {
				if ctx.Err() == nil {
					w.log.Warn("outbox: cannot read due mail", "err", err)
				}
				break
			}
			if n < w.Batch {
				break
			}
		}
		timer.Reset(w.Poll)
	}
}

// RunOnce claims and sends the mail that is due now, one by one, and says how many were due.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	now := w.Now()
	due, err := w.store.DueMail(ctx, now, w.Batch)
	if err != nil {
		return 0, err
	}
	for _, m := range due {
		if ctx.Err() != nil {
			break
		}
		// The lease starts now, not when the batch was read: sending the ones before took time.
		ok, err := w.store.ClaimMail(ctx, m.ID, m.NextAttemptAt, w.Now().Add(w.Lease))
		if err != nil {
			w.log.Warn("outbox: claim failed", "mail_id", m.ID, "err", err)
			continue
		}
		if !ok {
			continue // another worker has it
		}
		m.Attempts++
		w.deliver(ctx, m)
	}
	return len(due), nil
}

func (w *Worker) deliver(ctx context.Context, m domain.OutboxMail) {
	err := w.send(ctx, m)
	// Book-keeping outlives a shutdown that began during the send.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := w.Now()
	if err == nil {
		if err := w.store.MailSent(bctx, m.ID, now); err != nil {
			w.log.Error("outbox: sent but not marked sent; it will be sent again", "mail_id", m.ID, "err", err)
		}
		w.log.Info("mail sent", "mail_id", m.ID, "kind", m.Kind, "attempts", m.Attempts)
		return
	}
	var permanent *PermanentError
	giveUp := errors.As(err, &permanent) || errors.Is(err, errUnrenderable) || now.Sub(m.CreatedAt) >= w.GiveUpAfter
	next := now.Add(w.Backoff(m.Attempts))
	if ctx.Err() != nil {
		// The node is stopping: hand the mail back at once for any node to send.
		giveUp, next, err = false, now, errors.New("interrupted: the node stopped while sending")
	}
	msg := err.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	if err := w.store.MailFailed(bctx, m.ID, now, next, msg, giveUp); err != nil {
		w.log.Error("outbox: cannot record a failed attempt", "mail_id", m.ID, "err", err)
	}
	if giveUp {
		w.log.Error("mail given up", "mail_id", m.ID, "kind", m.Kind, "attempts", m.Attempts, "queued_at", m.CreatedAt, "err", msg)
	} else {
		w.log.Warn("mail not sent; will retry", "mail_id", m.ID, "kind", m.Kind, "attempts", m.Attempts, "next_attempt", next, "err", msg)
	}
}

func (w *Worker) send(ctx context.Context, m domain.OutboxMail) error {
	email, err := Render(ctx, w.store, m, w.publicURL)
	if err != nil {
		return err
	}
	// The outbox id is the Message-ID: every attempt sends the same message, so a receiver that
	// got an attempt whose answer was lost can tell the repeat.
	msg, err := Compose(w.from, m.Recipient, email, m.ID, w.Now())
	if err != nil {
		return &PermanentError{Err: err}
	}
	return w.sender.Send(ctx, w.from.Address, m.Recipient, msg)
}
