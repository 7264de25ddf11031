// Package portal is what portal mode adds on top of chats: widget settings with the portal's
// locks, listing agents, the portal's backup operators, and the portal admins' overview of
// their advertisers.
package portal

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/settings"
	"github.com/portico/portico/internal/store"
)

// Store is what the service needs from persistence.
type Store interface {
	store.PortalStore
	AccountByID(ctx context.Context, id string) (*domain.Account, error)
	AccountByKey(ctx context.Context, key string) (*domain.Account, error)
	AdvertiserByExternalID(ctx context.Context, portalID, externalID string) (*domain.Account, error)
	OperatorByID(ctx context.Context, id string) (*domain.Operator, error)
	ListOperators(ctx context.Context, accountID string) ([]domain.Operator, error)
}

// Availability tells who can answer right now, on any node, and hears of what changes that.
type Availability interface {
	AnyOperatorAvailable(accountIDs ...string) bool
	OperatorAvailable(accountID, operatorID string) bool
	// BackupChanged tells the portal's visitors what a new backup setting changes for them.
	BackupChanged(portalID string)
}

type Service struct {
	store     Store
	available Availability
}

func NewService(s Store, a Availability) *Service {
	return &Service{store: s, available: a}
}

// --- settings -------------------------------------------------------------------------------

// SettingsView is an account's own settings, what its pages get, and the locks that matter to it.
type SettingsView struct {
	Settings   map[string]any `json:"settings"`
	Effective  map[string]any `json:"effective"`
	Locked     []string       `json:"locked"`
	Overridden []string       `json:"overridden"`
}

// Settings shows the operator's account's widget settings. A portal sees its locks; an
// advertiser sees which of its own keys the portal's locks override on the portal.
func (s *Service) Settings(ctx context.Context, op *domain.Operator) (*SettingsView, error) {
	acc, err := s.store.AccountByID(ctx, op.AccountID)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, acc)
}

func (s *Service) view(ctx context.Context, acc *domain.Account) (*SettingsView, error) {
	v := &SettingsView{Settings: orEmpty(acc.Settings), Locked: []string{}, Overridden: []string{}}
	switch acc.Kind {
	case domain.KindPortal:
		v.Locked = append(v.Locked, acc.Locked...)
		v.Effective = settings.Resolve(settings.Layer{Settings: acc.Settings, Locked: acc.Locked})
	case domain.KindAdvertiser:
		// Its pages are the portal's listing pages: the portal's locks apply there.
		parent, err := s.store.AccountByID(ctx, acc.ParentID)
		if err != nil {
			return nil, fmt.Errorf("advertiser's portal: %w", err)
		}
		v.Effective = settings.Resolve(settings.Layer{Settings: parent.Settings, Locked: parent.Locked}, settings.Layer{Settings: acc.Settings})
		for _, k := range parent.Locked {
			if _, own := acc.Settings[k]; own {
				v.Overridden = append(v.Overridden, k)
			}
		}
	default:
		v.Effective = settings.Resolve(settings.Layer{Settings: acc.Settings})
	}
	sort.Strings(v.Overridden)
	return v, nil
}

// SettingsPatch changes some settings; a null value returns the key to what it inherits.
// Locked, when given, replaces the portal's locked keys.
type SettingsPatch struct {
	Settings map[string]any
	Locked   *[]string
}

var colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// UpdateSettings lets an admin change their account's widget settings.
func (s *Service) UpdateSettings(ctx context.Context, op *domain.Operator, p SettingsPatch) (*SettingsView, error) {
	if op.Role != domain.RoleAdmin {
		return nil, fmt.Errorf("%w\nonly admins change the widget settings", domain.ErrForbidden)
	}
	acc, err := s.store.AccountByID(ctx, op.AccountID)
	if err != nil {
		return nil, err
	}
	next := orEmpty(acc.Settings)
	for k, v := range p.Settings {
		if v == nil {
			if _, known := settings.Defaults()[k]; !known {
				return nil, domain.Invalid("unknown_setting", "settings."+k, "there is no widget setting %q", k)
			}
			delete(next, k)
			continue
		}
		clean, err := validSetting(k, v)
		if err != nil {
			return nil, err
		}
		next[k] = clean
	}
	locked := acc.Locked
	if p.Locked != nil {
		if acc.Kind != domain.KindPortal {
			return nil, domain.Invalid("not_a_portal", "locked", "only a portal locks settings")
		}
		locked = []string{}
		for _, k := range *p.Locked {
			if _, known := settings.Defaults()[k]; !known {
				return nil, domain.Invalid("unknown_setting", "locked", "there is no widget setting %q", k)
			}
			if !slices.Contains(locked, k) {
				locked = append(locked, k)
			}
		}
		sort.Strings(locked)
	}
	if err := s.store.SetAccountSettings(ctx, acc.ID, next, locked); err != nil {
		return nil, err
	}
	acc.Settings, acc.Locked = next, locked
	return s.view(ctx, acc)
}

func validSetting(k string, v any) (any, error) {
	field := "settings." + k
	switch k {
	case "color":
		s, ok := v.(string)
		if !ok || !colorPattern.MatchString(s) {
			return nil, domain.Invalid("invalid_field", field, "color must be #rrggbb")
		}
		return s, nil
	case "greeting", "title":
		s, ok := v.(string)
		if !ok || !utf8.ValidString(s) || utf8.RuneCountInString(s) > 500 {
			return nil, domain.Invalid("invalid_field", field, "%s must be text of at most 500 characters", k)
		}
		return s, nil
	case "auto_open_after_seconds":
		n, ok := v.(float64)
		if !ok || n != float64(int(n)) || n < 0 || n > 3600 {
			return nil, domain.Invalid("invalid_field", field, "auto_open_after_seconds must be a whole number from 0 to 3600")
		}
		return int(n), nil
	}
	if _, known := settings.Defaults()[k]; !known {
		return nil, domain.Invalid("unknown_setting", field, "there is no widget setting %q", k)
	}
	if _, isBool := settings.Defaults()[k].(bool); isBool {
		b, ok := v.(bool)
		if !ok {
			return nil, domain.Invalid("invalid_field", field, "%s must be true or false", k)
		}
		return b, nil
	}
	return nil, domain.Invalid("unknown_setting", field, "there is no widget setting %q", k)
}

func orEmpty(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// --- listings ------------------------------------------------------------------------------

// Listings lists the listings an operator may see: their advertiser's, or all of the portal's.
func (s *Service) Listings(ctx context.Context, op *domain.Operator) ([]domain.PortalListing, error) {
	acc, err := s.store.AccountByID(ctx, op.AccountID)
	if err != nil {
		return nil, err
	}
	if acc.Kind == domain.KindPortal {
		if op.Role != domain.RoleAdmin {
			return []domain.PortalListing{}, nil
		}
		return s.store.ListListings(ctx, nil, acc.ID)
	}
	return s.store.ListListings(ctx, []string{acc.ID}, "")
}

// SetListingOperators names the listing's responsible operators, who must work for its
// advertiser. Admins of the advertiser or of its portal may.
func (s *Service) SetListingOperators(ctx context.Context, op *domain.Operator, listingID string, operatorIDs []string) (*domain.PortalListing, error) {
	l, err := s.store.ListingByID(ctx, listingID)
	if err != nil {
		return nil, err
	}
	if err := s.manages(ctx, op, l.AdvertiserID); err != nil {
		return nil, err
	}
	ids := []string{}
	for _, id := range operatorIDs {
		o, err := s.store.OperatorByID(ctx, id)
		if errors.Is(err, domain.ErrNotFound) || (err == nil && o.AccountID != l.AdvertiserID) {
			return nil, domain.Invalid("invalid_operator", "operator_ids", "operator %q does not work for this advertiser", id)
		}
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if err := s.store.SetListingOperators(ctx, l.ID, ids); err != nil {
		return nil, err
	}
	return s.store.ListingByID(ctx, l.ID)
}

// manages is ErrNotFound outside the operator's tenant and ErrForbidden for agents.
func (s *Service) manages(ctx context.Context, op *domain.Operator, accountID string) error {
	if op.AccountID != accountID {
		acc, err := s.store.AccountByID(ctx, accountID)
		if err != nil {
			return err
		}
		if acc.ParentID == "" || acc.ParentID != op.AccountID {
			return domain.ErrNotFound
		}
	}
	if op.Role != domain.RoleAdmin {
		return fmt.Errorf("%w\nonly admins name a listing's operators", domain.ErrForbidden)
	}
	return nil
}

// --- backup operators -------------------------------------------------------------------------

func (s *Service) portalAdmin(ctx context.Context, op *domain.Operator) (*domain.Account, error) {
	acc, err := s.store.AccountByID(ctx, op.AccountID)
	if err != nil {
		return nil, err
	}
	if acc.Kind != domain.KindPortal || op.Role != domain.RoleAdmin {
		return nil, fmt.Errorf("%w\nonly a portal's admins may do this", domain.ErrForbidden)
	}
	return acc, nil
}

// Backup shows the portal's backup setting.
func (s *Service) Backup(ctx context.Context, op *domain.Operator) (*domain.PortalBackup, error) {
	acc, err := s.portalAdmin(ctx, op)
	if err != nil {
		return nil, err
	}
	return s.store.PortalBackup(ctx, acc.ID)
}

// SetBackup turns the portal's backup operators on or off; the operators must be the portal's own.
func (s *Service) SetBackup(ctx context.Context, op *domain.Operator, enabled bool, operatorIDs []string) (*domain.PortalBackup, error) {
	acc, err := s.portalAdmin(ctx, op)
	if err != nil {
		return nil, err
	}
	b := &domain.PortalBackup{AccountID: acc.ID, Enabled: enabled, OperatorIDs: []string{}}
	for _, id := range operatorIDs {
		o, err := s.store.OperatorByID(ctx, id)
		if errors.Is(err, domain.ErrNotFound) || (err == nil && o.AccountID != acc.ID) {
			return nil, domain.Invalid("invalid_operator", "operator_ids", "operator %q is not one of the portal's own", id)
		}
		if err != nil {
			return nil, err
		}
		if !slices.Contains(b.OperatorIDs, id) {
			b.OperatorIDs = append(b.OperatorIDs, id)
		}
	}
	if err := s.store.SetPortalBackup(ctx, b); err != nil {
		return nil, err
	}
	s.available.BackupChanged(acc.ID)
	return b, nil
}

// backupOperators are the portal operators who would take the advertiser's chats now, or nil.
func (s *Service) backupOperators(ctx context.Context, portalID string) ([]string, error) {
	b, err := s.store.PortalBackup(ctx, portalID)
	if err != nil || !b.Enabled {
		return nil, err
	}
	ids := b.OperatorIDs
	if len(ids) == 0 {
		ops, err := s.store.ListOperators(ctx, portalID)
		if err != nil {
			return nil, err
		}
		for _, o := range ops {
			ids = append(ids, o.ID)
		}
	}
	return ids, nil
}

func (s *Service) anyAvailable(accountID string, ids []string) bool {
	for _, id := range ids {
		if s.available.OperatorAvailable(accountID, id) {
			return true
		}
	}
	return false
}

// --- routing ---------------------------------------------------------------------------------

// Route decides whom a new chat with an advertiser goes to: the listing's responsible operators
// when it names any; else, when nobody of the advertiser is available and the portal enabled
// backup operators, those. Nil leaves the account's own routing rules to decide.
func (s *Service) Route(ctx context.Context, target *domain.Account, listing *domain.Listing) ([]string, error) {
	if target.Kind != domain.KindAdvertiser {
		return nil, nil
	}
	var agents []string
	if listing != nil && listing.ID != "" {
		ids, err := s.store.ListingOperators(ctx, listing.ID)
		if err != nil {
			return nil, err
		}
		if len(ids) > 0 {
			agents = ids
		}
	}
	if s.available.AnyOperatorAvailable(target.ID) {
		return agents, nil
	}
	backup, err := s.backupOperators(ctx, target.ParentID)
	if err != nil {
		return nil, err
	}
	if len(backup) > 0 && s.anyAvailable(target.ParentID, backup) {
		return backup, nil
	}
	return agents, nil
}

// PortalBackupAvailable reports whether one of the portal's backup operators is available now.
func (s *Service) PortalBackupAvailable(ctx context.Context, portalID string) (bool, error) {
	ids, err := s.backupOperators(ctx, portalID)
	if err != nil {
		return false, err
	}
	return s.anyAvailable(portalID, ids), nil
}

// --- advertisers ------------------------------------------------------------------------------

// AdvertiserOverview is one advertiser with its operators, who can answer now, and its listings.
type AdvertiserOverview struct {
	ID         string                 `json:"id"`
	Name       string                 `json:"name"`
	ExternalID string                 `json:"external_id"`
	Online     bool                   `json:"online"`
	Operators  []AdvertiserMember     `json:"operators"`
	Listings   []domain.PortalListing `json:"listings"`
}

// AdvertiserMember is one of an advertiser's operators, with whether they can answer now.
type AdvertiserMember struct {
	ID     string                `json:"id"`
	Name   string                `json:"name"`
	Email  string                `json:"email"`
	Role   domain.Role           `json:"role"`
	Status domain.OperatorStatus `json:"status"`
	Online bool                  `json:"online"`
}

// AdvertiserQuery asks for a page of a portal's advertisers.
type AdvertiserQuery struct {
	Query  string // in the name or the external id
	Cursor string // a NextCursor of the previous page
	Limit  string // as the client sent it; "" for DefaultAdvertiserPage
}

// AdvertiserPage is a page of advertisers by name; NextCursor continues it ("" at the end).
type AdvertiserPage struct {
	Advertisers []AdvertiserOverview `json:"advertisers"`
	NextCursor  string               `json:"next_cursor"`
}

// Advertiser pages hold DefaultAdvertiserPage advertisers unless asked for another number, up to
// MaxAdvertiserPage: a portal may have tens of thousands.
const (
	DefaultAdvertiserPage = 50
	MaxAdvertiserPage     = 200
	maxAdvertiserQuery    = 200
)

// Advertisers lists a page of the portal's advertisers for its admins.
func (s *Service) Advertisers(ctx context.Context, op *domain.Operator, q AdvertiserQuery) (*AdvertiserPage, error) {
	acc, err := s.portalAdmin(ctx, op)
	if err != nil {
		return nil, err
	}
	f := store.AdvertiserFilter{PortalID: acc.ID, Query: q.Query, Limit: DefaultAdvertiserPage}
	if q.Limit != "" {
		if f.Limit, err = strconv.Atoi(q.Limit); err != nil || f.Limit < 1 || f.Limit > MaxAdvertiserPage {
			return nil, domain.Invalid("invalid_field", "limit", "limit must be a number from 1 to %d", MaxAdvertiserPage)
		}
	}
	if utf8.RuneCountInString(q.Query) > maxAdvertiserQuery {
		return nil, domain.Invalid("invalid_field", "q", "q must be at most %d characters", maxAdvertiserQuery)
	}
	if q.Cursor != "" {
		if f.After, err = decodeAdvertiserCursor(q.Cursor); err != nil {
			return nil, domain.Invalid("invalid_field", "cursor", "cursor must be a next_cursor from an earlier answer")
		}
	}
	f.Limit++ // one more says whether there is a next page
	rows, err := s.store.PortalAdvertisers(ctx, f)
	if err != nil {
		return nil, err
	}
	page := &AdvertiserPage{Advertisers: []AdvertiserOverview{}}
	if len(rows) == f.Limit {
		rows = rows[:len(rows)-1]
		last := rows[len(rows)-1]
		page.NextCursor = encodeAdvertiserCursor(last.SortName, last.ID)
	}
	for _, adv := range rows {
		ov := AdvertiserOverview{ID: adv.ID, Name: adv.Name, ExternalID: adv.ExternalID,
			Operators: []AdvertiserMember{}, Listings: adv.Listings}
		for _, o := range adv.Operators {
			on := s.available.OperatorAvailable(adv.ID, o.ID)
			ov.Online = ov.Online || on
			ov.Operators = append(ov.Operators, AdvertiserMember{ID: o.ID, Name: o.Name, Email: o.Email, Role: o.Role, Status: o.Status, Online: on})
		}
		page.Advertisers = append(page.Advertisers, ov)
	}
	return page, nil
}

func encodeAdvertiserCursor(sortName, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(id + "\x00" + sortName))
}

func decodeAdvertiserCursor(v string) (*store.AdvertiserCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil, err
	}
	id, name, ok := strings.Cut(string(raw), "\x00")
	if !ok || id == "" {
		return nil, errors.New("bad cursor")
	}
	return &store.AdvertiserCursor{SortName: name, ID: id}, nil
}
