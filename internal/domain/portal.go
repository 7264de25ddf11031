package domain

// PortalBackup lets a portal's own operators take the chats of advertisers who have nobody
// available. No OperatorIDs means all of the portal's operators.
type PortalBackup struct {
	AccountID   string   `json:"-"`
	Enabled     bool     `json:"enabled"`
	OperatorIDs []string `json:"operator_ids"`
}

// PortalListing is a listing as its advertiser manages it, with its responsible operators.
type PortalListing struct {
	ID           string   `json:"id"`
	AdvertiserID string   `json:"advertiser_id"`
	ExternalID   string   `json:"external_id"`
	Title        string   `json:"title"`
	URL          string   `json:"url"`
	OperatorIDs  []string `json:"operator_ids"`
}
