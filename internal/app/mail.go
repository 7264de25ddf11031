package app

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	netmail "net/mail"
	"net/url"
	"time"

	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/metrics"
	"github.com/portico/portico/internal/store"
)

// newMail builds the outbox worker and the mail settings service. Without --smtp-url the
// worker sends nothing and mail waits in the outbox.
func newMail(cfg *config.Config, s store.Store, log *slog.Logger) (*mail.Worker, *mail.Service, error) {
	fromText := cfg.MailFrom
	if fromText == "" {
		host := ""
		if u, err := url.Parse(cfg.PublicURL); err == nil {
			host = u.Hostname()
		}
		fromText = config.DefaultMailFrom(host)
	}
	from, err := netmail.ParseAddress(fromText)
	if err != nil {
		return nil, nil, fmt.Errorf("--mail-from: %w", err)
	}
	var sender mail.Sender
	if cfg.SMTPURL != "" {
		smtp, err := mail.ParseSMTPURL(cfg.SMTPURL)
		if err != nil {
			return nil, nil, fmt.Errorf("--smtp-url: %w", err)
		}
		if u, err := url.Parse(cfg.PublicURL); err == nil && u.Hostname() != "" {
			smtp.Hello = u.Hostname()
		}
		sender = smtp
	}
	worker := mail.NewWorker(s, sender, from, cfg.PublicURL, log.With("part", "mail"))
	svc := mail.NewService(s)
	svc.Queued = worker.Wake
	return worker, svc, nil
}

// outboxDepth is read when /metrics is scraped.
func outboxDepth(m *metrics.Metrics, s store.Store) {
	m.Gauge("portico_outbox_depth", "E-mails in the outbox neither sent nor given up (for every node on this database).", nil,
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := s.OutboxDepth(ctx)
			if err != nil {
				return math.NaN()
			}
			return float64(n)
		})
}
