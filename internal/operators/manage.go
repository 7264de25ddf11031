package operators

import (
	"context"
	"strings"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/domain"
)

// List returns the operators of the caller's account with their live status: "online" only
// while they are connected somewhere.
func (s *Service) List(ctx context.Context, caller *domain.Operator) ([]domain.Operator, error) {
	list, err := s.store.ListOperators(ctx, caller.AccountID)
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []domain.Operator{}
	}
	for i := range list {
		if list[i].Status == domain.StatusOnline && !s.live.OperatorAvailable(list[i].AccountID, list[i].ID) {
			list[i].Status = domain.StatusOffline
		}
	}
	return list, nil
}

// CreateInput is a new operator. An empty Password has one generated.
type CreateInput struct {
	Email, Name, Password string
	Role                  domain.Role
}

// Create adds an operator to the admin's account. It returns the password when it made one up,
// so that it can be shown once; it is never stored in the clear.
func (s *Service) Create(ctx context.Context, admin *domain.Operator, in CreateInput) (*domain.Operator, string, error) {
	if err := requireAdmin(admin, "add operators"); err != nil {
		return nil, "", err
	}
	email, err := cleanEmail("email", in.Email, false)
	if err != nil {
		return nil, "", err
	}
	email = strings.ToLower(email) // sign-in addresses are compared without regard to case
	name, err := cleanName("name", in.Name)
	if err != nil {
		return nil, "", err
	}
	if in.Role == "" {
		in.Role = domain.RoleAgent
	}
	if err := checkRole(in.Role); err != nil {
		return nil, "", err
	}
	generated := ""
	if in.Password == "" {
		in.Password = auth.GeneratePassword()
		generated = in.Password
	} else if err := checkPassword("password", in.Password); err != nil {
		return nil, "", err
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return nil, "", err
	}
	op := &domain.Operator{ID: domain.NewID(), AccountID: admin.AccountID, Email: email, Name: name, Role: in.Role,
		Status: domain.StatusOffline, AlertSound: true, PasswordHash: hash, CreatedAt: s.now().UTC()}
	if err := s.store.CreateOperator(ctx, op); err != nil {
		return nil, "", err
	}
	s.log.Info("operator added", "operator_id", op.ID, "account_id", op.AccountID, "by", admin.ID)
	return op, generated, nil
}

// UpdateInput is what an admin changes about an operator; nil fields stay as they are.
type UpdateInput struct {
	Name, Email *string
	Role        *domain.Role
	// Password sets a new password; GeneratePassword makes one up and returns it.
	Password         *string
	GeneratePassword bool
}

// Update changes an operator of the admin's account. A new password ends the operator's other
// sessions; a new role closes their sockets, so that they reconnect with it.
func (s *Service) Update(ctx context.Context, admin *domain.Operator, id, sessionHash string, in UpdateInput) (*domain.Operator, string, error) {
	if err := requireAdmin(admin, "change operators"); err != nil {
		return nil, "", err
	}
	op, err := s.colleague(ctx, admin, id)
	if err != nil {
		return nil, "", err
	}
	changed := *op
	if in.Name != nil {
		if changed.Name, err = cleanName("name", *in.Name); err != nil {
			return nil, "", err
		}
	}
	if in.Email != nil {
		if changed.Email, err = cleanEmail("email", *in.Email, false); err != nil {
			return nil, "", err
		}
		changed.Email = strings.ToLower(changed.Email)
	}
	if in.Role != nil {
		if err := checkRole(*in.Role); err != nil {
			return nil, "", err
		}
		changed.Role = *in.Role
	}
	password := ""
	switch {
	case in.Password != nil && in.GeneratePassword:
		return nil, "", domain.Invalid("invalid_field", "password", "give a password or ask for one to be generated, not both")
	case in.Password != nil:
		if err := checkPassword("password", *in.Password); err != nil {
			return nil, "", err
		}
		password = *in.Password
	case in.GeneratePassword:
		password = auth.GeneratePassword()
	}
	if err := s.store.UpdateOperator(ctx, &changed); err != nil {
		return nil, "", err
	}
	if password != "" {
		hash, err := auth.HashPassword(password)
		if err != nil {
			return nil, "", err
		}
		if err := s.store.SetOperatorPassword(ctx, op.ID, hash); err != nil {
			return nil, "", err
		}
	}
	if password != "" {
		// A reset password locks out whoever knew the old one; the admin's own session stays.
		keep := ""
		if op.ID == admin.ID {
			keep = sessionHash
		}
		ended, err := s.store.DeleteOperatorSessions(ctx, op.ID, keep)
		if err != nil {
			return nil, "", err
		}
		s.endSessions(ended)
	}
	if changed.Role != op.Role {
		// Sockets know the role they were opened with: close them, and the consoles reconnect
		// (GET /me still works) with the new one.
		hashes, err := s.store.OperatorSessions(ctx, op.ID)
		if err != nil {
			return nil, "", err
		}
		s.endSessions(hashes)
	}
	s.announce(s.notify.OperatorChanged(ctx, &changed), "operator", changed.ID)
	s.log.Info("operator changed", "operator_id", op.ID, "account_id", op.AccountID, "by", admin.ID)
	if in.GeneratePassword {
		return &changed, password, nil
	}
	return &changed, "", nil
}

// Delete removes an operator of the admin's account: they are signed out everywhere, their
// open chats wait for someone else, and their history keeps their name.
func (s *Service) Delete(ctx context.Context, admin *domain.Operator, id string) error {
	if err := requireAdmin(admin, "delete operators"); err != nil {
		return err
	}
	op, err := s.colleague(ctx, admin, id)
	if err != nil {
		return err
	}
	removal, err := s.store.DeleteOperator(ctx, op.ID, s.now().UTC())
	if err != nil {
		return err
	}
	s.endSessions(removal.SessionHashes)
	for _, convID := range removal.Reopened {
		c, err := s.store.ConversationByID(ctx, convID)
		if err != nil {
			s.log.Warn("reopened conversation not announced", "conversation_id", convID, "err", err)
			continue
		}
		s.announce(s.notify.ConversationChanged(ctx, c, "updated", nil), "updated", op.ID)
	}
	op.Status = domain.StatusOffline
	s.announce(s.notify.OperatorRemoved(ctx, op), "operator deleted", op.ID)
	s.log.Info("operator deleted", "operator_id", op.ID, "account_id", op.AccountID, "by", admin.ID, "reopened", len(removal.Reopened))
	return nil
}
