package store

import (
	"context"

	"github.com/portico/portico/internal/domain"
)

// PortalStore holds what portal mode adds: widget settings and locks, listing agents and a
// portal's backup operators.
type PortalStore interface {
	// SetAccountSettings replaces the account's own widget settings and locked keys.
	SetAccountSettings(ctx context.Context, accountID string, settings map[string]any, locked []string) error
	ListingByID(ctx context.Context, id string) (*domain.PortalListing, error)
	ListingByExternalID(ctx context.Context, accountID, externalID string) (*domain.PortalListing, error)
	// ListListings lists the accounts' listings, and those of every advertiser of the portal
	// advertisersOf if not "", with their responsible operators.
	ListListings(ctx context.Context, accountIDs []string, advertisersOf string) ([]domain.PortalListing, error)
	// PortalAdvertisers is a page of the portal's advertisers by name, with their operators and
	// listings.
	PortalAdvertisers(ctx context.Context, f AdvertiserFilter) ([]PortalAdvertiser, error)
	SetListingOperators(ctx context.Context, listingID string, operatorIDs []string) error
	ListingOperators(ctx context.Context, listingID string) ([]string, error)
	// PortalBackup is the portal's backup setting; a portal that never set it has it disabled.
	PortalBackup(ctx context.Context, portalID string) (*domain.PortalBackup, error)
	SetPortalBackup(ctx context.Context, b *domain.PortalBackup) error
}

// AdvertiserFilter chooses a page of a portal's advertisers, by name in any case.
type AdvertiserFilter struct {
	PortalID string
	// Query keeps the advertisers whose name or external id contains it, in any case.
	Query string
	// After continues a previous page: the advertisers after this one.
	After *AdvertiserCursor
	Limit int
}

// AdvertiserCursor is the position of the last advertiser of a page: its SortName and id.
type AdvertiserCursor struct {
	SortName, ID string
}

// PortalAdvertiser is one advertiser of a portal with its operators and listings. SortName is
// its name as the list orders it (lower case, as the database lowers it).
type PortalAdvertiser struct {
	ID, Name, ExternalID, SortName string
	Operators                      []domain.Operator
	Listings                       []domain.PortalListing
}
