package domain

import "time"

// PortalAuth is a portal's external authentication: its operators sign in with the portal's own
// accounts, checked by the portal's server at URL (DESIGN.md §6).
type PortalAuth struct {
	PortalID   string `json:"-"`
	Enabled    bool   `json:"enabled"`
	URL        string `json:"url"`
	AccessKey  string `json:"-"` // write-only: never shown again
	AdminEmail string `json:"admin_email"`
	// IssuesTokens is set once the portal has returned an authentication token: only then does
	// the login page offer "remember me".
	IssuesTokens  bool       `json:"issues_tokens"`
	LastSuccessAt *time.Time `json:"last_success_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// PortalAuthProblem kinds: what went wrong talking to a portal's authentication server.
const (
	ProblemUnreachable = "unreachable"    // no answer within the retry window
	ProblemTLS         = "tls"            // the certificate does not validate
	ProblemProtocol    = "protocol"       // the answer is not the protocol
	ProblemInternal    = "internal_error" // the portal answered 255
	ProblemAccessKey   = "access_denied"  // the portal answered 253: the access key is wrong
	ProblemInsecureURL = "insecure_url"   // the configured URL may not be used
)

// PortalAuthProblem is one recorded failure, shown on the portal's health panel.
type PortalAuthProblem struct {
	ID       string    `json:"id"`
	PortalID string    `json:"-"`
	Kind     string    `json:"kind"`
	Detail   string    `json:"detail"`
	Mailed   bool      `json:"mailed"`
	At       time.Time `json:"at"`
}

// ExternalOperator is an operator as the portal's server describes them after a login.
type ExternalOperator struct {
	Username string
	Email    string
	PhotoURL string
	IsMaster bool
}
