package domain

import (
	"errors"
	"time"
)

// Errors of team work: who may manage operators and who may take which chat.
var (
	// ErrLastAdmin refuses a change that would leave an account without an admin.
	ErrLastAdmin = errors.New("the account must keep at least one admin")
	// ErrNotRouted refuses a claim by an operator the conversation was not routed to.
	ErrNotRouted = errors.New("this chat is routed to other operators")
)

// Colleague is what every operator may see of the others in their account (for transfer and
// invite pickers): no e-mail address, phone or settings.
type Colleague struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Role     Role           `json:"role"`
	Status   OperatorStatus `json:"status"`
	PhotoURL string         `json:"photo_url"`
}

// ColleagueOf is the public part of an operator.
func ColleagueOf(o *Operator) Colleague {
	return Colleague{ID: o.ID, Name: o.Name, Role: o.Role, Status: o.Status, PhotoURL: o.PhotoURL}
}

// Photo is an operator's picture, kept in the database so that every node serves it.
type Photo struct {
	ID          string
	OperatorID  string
	ContentType string
	Data        []byte
	CreatedAt   time.Time
}

// UsageMonth is one calendar month (UTC) of an account's bill: the operators who signed in or
// wrote a message in it.
type UsageMonth struct {
	Month           string      `json:"month"` // YYYY-MM
	ActiveOperators int         `json:"active_operators"`
	Operators       []Colleague `json:"operators"`
}

// CannedScope tells an account's canned responses, managed by its admins, from an operator's own.
type CannedScope string

const (
	CannedAccount  CannedScope = "account"
	CannedPersonal CannedScope = "personal"
)

func (s CannedScope) Valid() bool { return s == CannedAccount || s == CannedPersonal }

// CannedResponse is a prepared answer an operator inserts by typing "/" and its shortcut.
type CannedResponse struct {
	ID        string      `json:"id"`
	AccountID string      `json:"account_id"`
	Scope     CannedScope `json:"scope"`
	// OperatorID owns a personal response; empty for the account's.
	OperatorID string    `json:"operator_id"`
	Shortcut   string    `json:"shortcut"`
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// RoutingRule sends the chats started on pages whose URL matches Pattern to these operators only.
type RoutingRule struct {
	ID          string    `json:"id"`
	AccountID   string    `json:"account_id"`
	Pattern     string    `json:"pattern"`
	OperatorIDs []string  `json:"operator_ids"`
	Position    int64     `json:"position"`
	CreatedAt   time.Time `json:"created_at"`
}

// MayTake reports whether the operator may be alerted to and claim the conversation while it
// waits: everyone when no rule routed it, else only the operators it was routed to.
func (c *Conversation) MayTake(operatorID string) bool {
	if len(c.RoutedTo) == 0 {
		return true
	}
	for _, id := range c.RoutedTo {
		if id == operatorID {
			return true
		}
	}
	return false
}
