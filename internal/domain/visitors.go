package domain

import "time"

// LiveVisitor is a visitor as the console's live list shows them: who, where they are now,
// where they came from, on what, and whether they are chatting.
type LiveVisitor struct {
	ID        string       `json:"id"`
	AccountID string       `json:"account_id"`
	Name      string       `json:"name"`
	Email     string       `json:"email"`
	Online    bool         `json:"online"`
	Visits    int          `json:"visits"`
	Chats     int          `json:"chats"`
	Page      *CurrentPage `json:"page"`
	Visit     *VisitInfo   `json:"visit"`
	Chat      *VisitorChat `json:"chat"`
	// PageAccountID is the account that answers on the visitor's current page when it is not
	// AccountID: a portal's advertiser, whose operators see the visitors of its listings.
	PageAccountID string `json:"-"`
}

// AnswersHere reports whether the account's operators may see the visitor now: a visitor of
// the account, or on a page the account answers (an advertiser's listing on its portal).
func (v *LiveVisitor) AnswersHere(accountID string) bool {
	return v.AccountID == accountID || (v.PageAccountID != "" && v.PageAccountID == accountID)
}

type CurrentPage struct {
	URL   string    `json:"url"`
	Title string    `json:"title"`
	Since time.Time `json:"since"`
}

// VisitInfo is what is known of the visitor's latest visit, taken from its first page view.
type VisitInfo struct {
	StartedAt time.Time   `json:"started_at"`
	PageCount int         `json:"page_count"`
	Referrer  string      `json:"referrer"`
	Source    VisitSource `json:"source"`
	Language  string      `json:"language"`
	Device    Device      `json:"device"`
	Location  *Location   `json:"location"`
	IP        string      `json:"-"`
}

// VisitSource is where a visit came from: kind "campaign", "search", "social", "referral" or "direct".
type VisitSource struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Campaign string `json:"campaign"`
	Medium   string `json:"medium"`
}

type Device struct {
	Kind    string `json:"kind"`
	OS      string `json:"os"`
	Browser string `json:"browser"`
}

type Location struct {
	Country     string `json:"country"`
	CountryCode string `json:"country_code"`
	City        string `json:"city"`
}

// VisitorChat is the visitor's open conversation, if any.
type VisitorChat struct {
	ConversationID string             `json:"conversation_id"`
	Status         ConversationStatus `json:"status"`
	Operators      []Person           `json:"operators"`
}

type InvitationKind string

const (
	InvitationByOperator  InvitationKind = "operator"
	InvitationByProactive InvitationKind = "proactive"
)

type InvitationStatus string

const (
	InvitationShown    InvitationStatus = "shown"
	InvitationAccepted InvitationStatus = "accepted"
	InvitationDeclined InvitationStatus = "declined"
)

// Invitation asks a visitor to chat: an operator's from the visitor list, or a proactive rule's
// greeting.
type Invitation struct {
	ID             string           `json:"id"`
	AccountID      string           `json:"-"`
	VisitorID      string           `json:"visitor_id"`
	Kind           InvitationKind   `json:"kind"`
	RuleID         string           `json:"rule_id"`
	OperatorID     string           `json:"-"`
	Operator       *Person          `json:"operator"`
	Message        string           `json:"message"`
	Status         InvitationStatus `json:"status"`
	ConversationID string           `json:"conversation_id"`
	CreatedAt      time.Time        `json:"created_at"`
	AnsweredAt     *time.Time       `json:"answered_at"`
}

// ProactiveRule opens the chat box with a greeting after AfterSeconds on a page matching Pattern,
// once the visit has AfterPages pages.
type ProactiveRule struct {
	ID           string    `json:"id"`
	AccountID    string    `json:"-"`
	Pattern      string    `json:"pattern"`
	AfterSeconds int       `json:"after_seconds"`
	AfterPages   int       `json:"after_pages"`
	Greeting     string    `json:"greeting"`
	Enabled      bool      `json:"enabled"`
	CreatedAt    time.Time `json:"created_at"`
}

// InvitationCounts is how invitations fared.
type InvitationCounts struct {
	Shown    int `json:"shown"`
	Accepted int `json:"accepted"`
	Declined int `json:"declined"`
}

type InvitationStats struct {
	Operator  InvitationCounts `json:"operator"`
	Proactive InvitationCounts `json:"proactive"`
	Rules     []RuleStats      `json:"rules"`
}

type RuleStats struct {
	RuleID string `json:"rule_id"`
	InvitationCounts
}

// Add counts n invitations with this status.
func (c *InvitationCounts) Add(status InvitationStatus, n int) {
	switch status {
	case InvitationShown:
		c.Shown += n
	case InvitationAccepted:
		c.Shown += n
		c.Accepted += n
	case InvitationDeclined:
		c.Shown += n
		c.Declined += n
	}
}
