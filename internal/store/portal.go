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
	// ListListings lists the accounts' listings with their responsible operators.
	ListListings(ctx context.Context, accountIDs []string) ([]domain.PortalListing, error)
	SetListingOperators(ctx context.Context, listingID string, operatorIDs []string) error
	ListingOperators(ctx context.Context, listingID string) ([]string, error)
	// PortalBackup is the portal's backup setting; a portal that never set it has it disabled.
	PortalBackup(ctx context.Context, portalID string) (*domain.PortalBackup, error)
	SetPortalBackup(ctx context.Context, b *domain.PortalBackup) error
}
