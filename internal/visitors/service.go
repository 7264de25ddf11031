// Package visitors is the visitor's side of Portico: recognising a browser by its token,
// recording the pages it shows, and what the widget needs to know on each page.
package visitors

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/settings"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/visitors/enrich"
)

type Store interface {
	AccountByKey(ctx context.Context, key string) (*domain.Account, error)
	AccountByID(ctx context.Context, id string) (*domain.Account, error)
	AdvertiserByExternalID(ctx context.Context, portalID, externalID string) (*domain.Account, error)
	CreateVisitor(ctx context.Context, v *domain.Visitor) error
	VisitorByTokenHash(ctx context.Context, tokenHash string) (*domain.Visitor, error)
	VisitorAndConversationAccess(ctx context.Context, tokenHash, conversationID string) (*domain.Visitor, *domain.Conversation, error)
	ReturningVisitor(ctx context.Context, tokenHash string) (*domain.Visitor, *domain.Invitation, error)
	RecordPageView(ctx context.Context, in store.PageViewInput) error
	RecordReturningPageView(ctx context.Context, in store.PageViewInput) (*domain.Invitation, error)
	UpsertListing(ctx context.Context, l *domain.Listing) error
}

// Availability tells whether any operator of an account can answer right now.
type Availability interface {
	AnyOperatorAvailable(accountIDs ...string) bool
}

// BackupChecker tells whether a portal's backup operators would answer for its advertisers now.
type BackupChecker interface {
	BackupAnswers(portalID string) bool
}

type Service struct {
	store     Store
	available Availability
	// Backup, when set, counts a portal's backup operators as online for its advertisers.
	Backup BackupChecker
	// Live, when set, hears of page views (the console's visitor list, proactive rules).
	Live *Live
	// Privacy and enrichment of page views.
	Geo         *enrich.GeoIP // nil: no location
	AnonymizeIP bool          // keep only the network part of the address
	RespectDNT  bool          // record no page views for a browser that sends Do Not Track
	log         *slog.Logger
	now         func() time.Time
	identities  *identities
}

func NewService(s Store, a Availability, log *slog.Logger) *Service {
	return &Service{store: s, available: a, log: log, now: time.Now, identities: newIdentities(identitiesKept)}
}

// Limits on page data: longer values are cut, not refused, since they come from the browser.
const (
	maxURLChars   = 2048
	maxTitleChars = 300
)

type Page struct {
	URL, Title, Referrer string
}

type VisitInput struct {
	AccountKey   string
	VisitorToken string
	Page         Page
	Advertiser   string
	Listing      *domain.Listing
	UserAgent    string
	Language     string
	ClientIP     string // the visitor's address, as the edge determined it
	DoNotTrack   bool   // the browser sent DNT: 1 or Sec-GPC: 1
}

type VisitResult struct {
	VisitorToken string
	Visitor      *domain.Visitor
	Account      *domain.Account
	Online       bool
	Settings     map[string]any
	// Proactive is the greeting a proactive rule opens the chat box with on this page, or nil.
	Proactive *Proactive
	// Invitation is an operator's invitation still waiting for an answer, to show again on the
	// visitor's next page.
	Invitation *domain.Invitation
}

// ErrUnknownAccount is a widget key that names no account.
var ErrUnknownAccount = errors.New("unknown account key")

// Visit records a page view and tells the widget how to behave on that page. A missing or
// unrecognised visitor token starts a new visitor rather than failing: the widget just works.
func (s *Service) Visit(ctx context.Context, in VisitInput) (*VisitResult, error) {
	acc, err := s.Account(ctx, in.AccountKey)
	if err != nil {
		return nil, err
	}
	page, err := cleanPage(in.Page)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	known, err := s.recognise(ctx, acc, in.VisitorToken, now)
	if err != nil {
		return nil, err
	}
	v, latest, isNew := known.visitor, known.latest, known.isNew
	layers, answering, err := s.pageAccounts(ctx, acc, in)
	if err != nil {
		return nil, err
	}
	// The advertiser answering on a portal's listing page; "" where the account itself answers.
	pageAccount := ""
	if answering[0] != acc.ID {
		pageAccount = answering[0]
	}
	tracked := !(s.RespectDNT && in.DoNotTrack)
	if tracked {
		pv := store.PageViewInput{
			VisitorID: v.ID, AccountID: acc.ID, URL: page.URL, Title: page.Title, Referrer: page.Referrer,
			UserAgent: truncate(in.UserAgent, 512), Language: truncate(in.Language, 64), At: now,
			Visit: s.visitInfo(in, page), PageAccountID: pageAccount,
		}
		if isNew {
			pv.NewVisitor = v
		}
		if known.latestUnread {
			latest, err = s.store.RecordReturningPageView(ctx, pv)
		} else {
			err = s.store.RecordPageView(ctx, pv)
		}
		if err != nil {
			return nil, err
		}
	} else if isNew {
		if err := s.store.CreateVisitor(ctx, v); err != nil {
			return nil, err
		}
	} else if known.latestUnread {
		if _, latest, err = s.store.ReturningVisitor(ctx, v.TokenHash); err != nil {
			return nil, err
		}
	}
	s.remember(v)
	eff := settings.Resolve(layers...)
	if eff["title"] == "" {
		eff["title"] = acc.Name
	}
	online := s.available.AnyOperatorAvailable(answering...)
	if !online && s.Backup != nil && acc.Kind == domain.KindPortal && pageAccount != "" {
		online = s.Backup.BackupAnswers(acc.ID)
	}
	res := &VisitResult{
		VisitorToken: known.token,
		Visitor:      v,
		Account:      acc,
		Online:       online,
		Settings:     eff,
	}
	if s.Live != nil && tracked {
		if res.Proactive, err = s.Live.pageViewed(ctx, v, page.URL, pageAccount); err != nil {
			return nil, err
		}
	}
	if s.Live != nil && latest != nil {
		res.Invitation = s.Live.stillShown(latest)
	}
	return res, nil
}

// visitInfo is what a page view says about the visit it may start: where from, on what, where.
func (s *Service) visitInfo(in VisitInput, page Page) domain.VisitInfo {
	src := enrich.ClassifySource(page.URL, page.Referrer)
	dev := enrich.ParseUserAgent(in.UserAgent)
	info := domain.VisitInfo{
		Source: domain.VisitSource{Kind: src.Kind, Name: truncate(src.Name, 100), Campaign: truncate(src.Campaign, 200), Medium: truncate(src.Medium, 100)},
		Device: domain.Device{Kind: dev.Kind, OS: truncate(dev.OS, 100), Browser: truncate(dev.Browser, 100)},
	}
	ip, err := netip.ParseAddr(in.ClientIP)
	if err != nil {
		return info
	}
	ip = ip.Unmap()
	if loc, ok := s.Geo.Lookup(ip); ok {
		info.Location = &domain.Location{Country: loc.Country, CountryCode: loc.CountryCode, City: loc.City}
	}
	if s.AnonymizeIP {
		ip = enrich.AnonymizeIP(ip)
	}
	info.IP = ip.String()
	return info
}

// pageAccounts works out whose settings apply on this page and whose operators would answer.
// On a portal's listing page that is the advertiser (under the portal's locks); on any other
// page it is the account whose key the widget carries.
func (s *Service) pageAccounts(ctx context.Context, acc *domain.Account, in VisitInput) ([]settings.Layer, []string, error) {
	own := settings.Layer{Settings: acc.Settings, Locked: acc.Locked}
	if acc.Kind != domain.KindPortal || in.Advertiser == "" {
		if acc.Kind == domain.KindAdvertiser {
			// On its own website an advertiser's settings apply, whatever its portal locks.
			return []settings.Layer{{Settings: acc.Settings}}, []string{acc.ID}, nil
		}
		return []settings.Layer{own}, []string{acc.ID}, nil
	}
	adv, err := s.store.AdvertiserByExternalID(ctx, acc.ID, truncate(in.Advertiser, 200))
	if errors.Is(err, domain.ErrNotFound) {
		return []settings.Layer{own}, []string{acc.ID}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if in.Listing != nil && in.Listing.ExternalID != "" {
		l := &domain.Listing{AccountID: adv.ID, ExternalID: truncate(in.Listing.ExternalID, 200),
			Title: truncate(in.Listing.Title, maxTitleChars), URL: truncate(in.Listing.URL, maxURLChars)}
		if err := s.store.UpsertListing(ctx, l); err != nil {
			return nil, nil, err
		}
	}
	return []settings.Layer{own, {Settings: adv.Settings}}, []string{adv.ID}, nil
}

// Account resolves a widget key.
func (s *Service) Account(ctx context.Context, key string) (*domain.Account, error) {
	if key == "" || len(key) > 100 {
		return nil, ErrUnknownAccount
	}
	acc, err := s.store.AccountByKey(ctx, key)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, ErrUnknownAccount
	}
	return acc, err
}

// recognised is who a page view's token stands for.
type recognised struct {
	// visitor is the token's visitor; a new one (isNew) is for the caller to store, with its
	// first page view, in the same write. A visitor this node already knew carries only its ID,
	// AccountID and TokenHash.
	visitor *domain.Visitor
	token   string
	isNew   bool
	// latest is the visitor's latest invitation, unless latestUnread: a visitor this node knew
	// was not read, and its invitation is read with its page view.
	latest       *domain.Invitation
	latestUnread bool
}

// recognise finds the visitor of a token or makes up a new one. A token of another account
// starts a new visitor too: visitors are the account's own.
func (s *Service) recognise(ctx context.Context, acc *domain.Account, token string, now time.Time) (recognised, error) {
	if plausibleToken(token) {
		hash := auth.HashToken(token)
		if id, ok := s.identities.lookup(hash); ok && id.accountID == acc.ID {
			return recognised{visitor: id.visitor(hash), token: token, latestUnread: true}, nil
		}
		v, latest, err := s.store.ReturningVisitor(ctx, hash)
		if err == nil && v.AccountID == acc.ID {
			return recognised{visitor: v, token: token, latest: latest}, nil
		}
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return recognised{}, err
		}
	}
	token = "vt_" + domain.NewSecret(32)
	v := &domain.Visitor{
		ID: domain.NewID(), AccountID: acc.ID, TokenHash: auth.HashToken(token),
		CreatedAt: now, LastSeenAt: now,
	}
	return recognised{visitor: v, token: token, isNew: true}, nil
}

// plausibleToken says whether a visitor token is worth looking up at all.
func plausibleToken(token string) bool { return token != "" && len(token) <= 200 }

// Authenticate resolves a visitor token.
func (s *Service) Authenticate(ctx context.Context, token string) (*domain.Visitor, error) {
	if !plausibleToken(token) {
		return nil, domain.ErrUnauthorized
	}
	v, err := s.store.VisitorByTokenHash(ctx, auth.HashToken(token))
	if errors.Is(err, domain.ErrNotFound) {
		return nil, domain.ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	s.remember(v)
	return v, nil
}

// AuthenticateIn is Authenticate with the access of the conversation the request is about,
// read together (a visitor's message needs both). The conversation is nil when there is none;
// whether it is the visitor's own is for the caller to say.
func (s *Service) AuthenticateIn(ctx context.Context, token, conversationID string) (*domain.Visitor, *domain.Conversation, error) {
	if !plausibleToken(token) {
		return nil, nil, domain.ErrUnauthorized
	}
	v, c, err := s.store.VisitorAndConversationAccess(ctx, auth.HashToken(token), conversationID)
	if err != nil {
		return nil, nil, err
	}
	if v == nil {
		return nil, nil, domain.ErrUnauthorized
	}
	return v, c, nil
}

func cleanPage(p Page) (Page, error) {
	u, err := url.Parse(p.URL)
	if p.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return Page{}, domain.Invalid("invalid_field", "page.url", "page.url must be an http(s) URL")
	}
	ref := p.Referrer
	if r, err := url.Parse(ref); err != nil || (ref != "" && r.Scheme != "http" && r.Scheme != "https") {
		ref = ""
	}
	return Page{URL: truncate(p.URL, maxURLChars), Title: truncate(strings.TrimSpace(p.Title), maxTitleChars), Referrer: truncate(ref, maxURLChars)}, nil
}

func truncate(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
