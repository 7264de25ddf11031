package mail

import (
	"context"
	"errors"
	netmail "net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/internal/domain"
)

// ServiceStore is what the mail settings and offline messages need from the store.
type ServiceStore interface {
	CreateCategory(ctx context.Context, c *domain.Category) error
	CategoryByID(ctx context.Context, id string) (*domain.Category, error)
	ListCategories(ctx context.Context, accountID string) ([]domain.Category, error)
	UpdateCategory(ctx context.Context, c *domain.Category) error
	DeleteCategory(ctx context.Context, accountID, id string) error
	ListOperators(ctx context.Context, accountID string) ([]domain.Operator, error)
	OfflineRecipientIDs(ctx context.Context, accountID string) ([]string, error)
	SetOfflineRecipients(ctx context.Context, accountID string, operatorIDs []string) error
	CreateOfflineMessage(ctx context.Context, m *domain.OfflineMessage, mails []domain.OutboxMail) error
	ListOfflineMessages(ctx context.Context, accountID string, limit int) ([]domain.OfflineMessage, error)
}

// Limits on what admins type, part of the documented API.
const (
	MaxCategoryNameChars = 100
	MaxEmailChars        = 254
	MaxOfflineList       = 200
)

// Service holds the mail settings of an account — categories and who receives offline messages —
// and stores offline messages together with their mail. Every call is scoped to the caller's
// own account; changes are for its admins.
type Service struct {
	store ServiceStore
	now   func() time.Time
	// Queued, when set, is told after a commit that queued mail (it wakes the worker).
	Queued func()
}

func NewService(s ServiceStore) *Service {
	return &Service{store: s, now: time.Now}
}

func admin(op *domain.Operator) error {
	if op.Role != domain.RoleAdmin {
		return errors.Join(domain.ErrForbidden, errors.New("only the account's admins may change this"))
	}
	return nil
}

// CleanEmail checks a required e-mail address and returns it without surrounding spaces.
func CleanEmail(field, email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", domain.Invalid("invalid_field", field, "an e-mail address is required")
	}
	addr, err := netmail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > MaxEmailChars {
		return "", domain.Invalid("invalid_field", field, "%q is not an e-mail address", email)
	}
	return email, nil
}

func cleanCategoryName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxCategoryNameChars {
		return "", domain.Invalid("invalid_field", "name", "the name must have 1 to %d characters", MaxCategoryNameChars)
	}
	return name, nil
}

// Categories lists the account's categories by name, for every operator of the account.
func (s *Service) Categories(ctx context.Context, op *domain.Operator) ([]domain.Category, error) {
	return s.store.ListCategories(ctx, op.AccountID)
}

func (s *Service) CreateCategory(ctx context.Context, op *domain.Operator, name, email string) (*domain.Category, error) {
	if err := admin(op); err != nil {
		return nil, err
	}
	name, err := cleanCategoryName(name)
	if err != nil {
		return nil, err
	}
	if email, err = CleanEmail("email", email); err != nil {
		return nil, err
	}
	c := &domain.Category{ID: domain.NewID(), AccountID: op.AccountID, Name: name, Email: email, CreatedAt: s.now().UTC()}
	if err := s.store.CreateCategory(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateCategory changes the fields given (nil: unchanged).
func (s *Service) UpdateCategory(ctx context.Context, op *domain.Operator, id string, name, email *string) (*domain.Category, error) {
	if err := admin(op); err != nil {
		return nil, err
	}
	c, err := s.category(ctx, op, id)
	if err != nil {
		return nil, err
	}
	if name != nil {
		if c.Name, err = cleanCategoryName(*name); err != nil {
			return nil, err
		}
	}
	if email != nil {
		if c.Email, err = CleanEmail("email", *email); err != nil {
			return nil, err
		}
	}
	if err := s.store.UpdateCategory(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Service) DeleteCategory(ctx context.Context, op *domain.Operator, id string) error {
	if err := admin(op); err != nil {
		return err
	}
	if _, err := s.category(ctx, op, id); err != nil {
		return err
	}
	return s.store.DeleteCategory(ctx, op.AccountID, id)
}

// category finds one of the operator's account's categories; others' are not found.
func (s *Service) category(ctx context.Context, op *domain.Operator, id string) (*domain.Category, error) {
	c, err := s.store.CategoryByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.AccountID != op.AccountID {
		return nil, domain.ErrNotFound
	}
	return c, nil
}

// Recipients says who receives the account's offline messages: the chosen operators, or the
// admins when nobody is chosen (Fallback). Operators lists everyone who could be chosen.
type Recipients struct {
	OperatorIDs []string          `json:"operator_ids"`
	Fallback    bool              `json:"fallback_to_admins"`
	Operators   []RecipientChoice `json:"operators"`
}

// RecipientChoice is an operator of the account as the recipients' list shows them.
type RecipientChoice struct {
	ID       string      `json:"id"`
	Name     string      `json:"name"`
	Email    string      `json:"email"`
	Role     domain.Role `json:"role"`
	Receives bool        `json:"receives"`
}

func (s *Service) OfflineRecipients(ctx context.Context, op *domain.Operator) (*Recipients, error) {
	ids, err := s.store.OfflineRecipientIDs(ctx, op.AccountID)
	if err != nil {
		return nil, err
	}
	ops, err := s.store.ListOperators(ctx, op.AccountID)
	if err != nil {
		return nil, err
	}
	r := &Recipients{OperatorIDs: ids, Fallback: len(ids) == 0, Operators: []RecipientChoice{}}
	for _, o := range ops {
		receives := slices.Contains(ids, o.ID) || (len(ids) == 0 && o.Role == domain.RoleAdmin)
		r.Operators = append(r.Operators, RecipientChoice{ID: o.ID, Name: o.Name, Email: o.Email, Role: o.Role, Receives: receives})
	}
	return r, nil
}

// SetOfflineRecipients chooses who receives offline messages; none means the admins.
func (s *Service) SetOfflineRecipients(ctx context.Context, op *domain.Operator, ids []string) (*Recipients, error) {
	if err := admin(op); err != nil {
		return nil, err
	}
	if len(ids) > 1000 {
		return nil, domain.Invalid("invalid_field", "operator_ids", "too many operators")
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	err := s.store.SetOfflineRecipients(ctx, op.AccountID, ids)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, domain.Invalid("invalid_field", "operator_ids", "every id must be an operator of your account")
	}
	if err != nil {
		return nil, err
	}
	return s.OfflineRecipients(ctx, op)
}

// OfflineMessages lists the account's offline messages, newest first.
func (s *Service) OfflineMessages(ctx context.Context, op *domain.Operator) ([]domain.OfflineMessage, error) {
	list, err := s.store.ListOfflineMessages(ctx, op.AccountID, MaxOfflineList)
	if list == nil {
		list = []domain.OfflineMessage{}
	}
	return list, err
}

// LeaveOfflineMessage stores a visitor's offline message (already checked) and, in the same
// transaction, queues one e-mail to each recipient: the chosen operators, or the admins.
func (s *Service) LeaveOfflineMessage(ctx context.Context, m *domain.OfflineMessage) error {
	ids, err := s.store.OfflineRecipientIDs(ctx, m.AccountID)
	if err != nil {
		return err
	}
	ops, err := s.store.ListOperators(ctx, m.AccountID)
	if err != nil {
		return err
	}
	var mails []domain.OutboxMail
	seen := map[string]bool{}
	for _, o := range ops {
		chosen := slices.Contains(ids, o.ID) || (len(ids) == 0 && o.Role == domain.RoleAdmin)
		if !chosen || seen[strings.ToLower(o.Email)] {
			continue
		}
		seen[strings.ToLower(o.Email)] = true
		mail := domain.NewMail(domain.MailOfflineMessage, m.AccountID, o.Email, m.CreatedAt)
		mail.OfflineMessageID = m.ID
		mails = append(mails, mail)
	}
	if err := s.store.CreateOfflineMessage(ctx, m, mails); err != nil {
		return err
	}
	if len(mails) > 0 && s.Queued != nil {
		s.Queued()
	}
	return nil
}
