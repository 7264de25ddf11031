package operators

import (
	"context"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/domain"
)

// ProfileInput is what operators change about themselves; nil fields stay as they are.
type ProfileInput struct {
	Name, Phone, TranscriptEmail *string
	NotifyColleaguePickup        *bool
	AlertSound                   *bool
	// CurrentPassword must be right to set NewPassword.
	CurrentPassword, NewPassword string
}

func (in ProfileInput) empty() bool {
	return in.Name == nil && in.Phone == nil && in.TranscriptEmail == nil && in.NotifyColleaguePickup == nil &&
		in.AlertSound == nil && in.CurrentPassword == "" && in.NewPassword == ""
}

// UpdateProfile changes the operator's own profile. Everything is checked before anything is
// saved. A new password ends the operator's other sessions (sessionHash is the current one).
func (s *Service) UpdateProfile(ctx context.Context, op *domain.Operator, sessionHash string, in ProfileInput) (*domain.Operator, error) {
	if in.empty() {
		return op, nil
	}
	changed := *op
	var err error
	if in.Name != nil {
		if changed.Name, err = cleanName("name", *in.Name); err != nil {
			return nil, err
		}
	}
	if in.Phone != nil {
		if changed.Phone, err = cleanPhone(*in.Phone); err != nil {
			return nil, err
		}
	}
	if in.TranscriptEmail != nil {
		if changed.TranscriptEmail, err = cleanEmail("transcript_email", *in.TranscriptEmail, true); err != nil {
			return nil, err
		}
	}
	if in.NotifyColleaguePickup != nil {
		changed.NotifyColleaguePickup = *in.NotifyColleaguePickup
	}
	if in.AlertSound != nil {
		changed.AlertSound = *in.AlertSound
	}
	var newHash string
	if in.CurrentPassword != "" || in.NewPassword != "" {
		if err := checkPassword("new_password", in.NewPassword); err != nil {
			return nil, err
		}
		if ok, err := auth.CheckPassword(op.PasswordHash, in.CurrentPassword); err != nil || !ok || len(in.CurrentPassword) > MaxPasswordChars {
			return nil, domain.Invalid("wrong_password", "current_password", "the current password is wrong")
		}
		if newHash, err = auth.HashPassword(in.NewPassword); err != nil {
			return nil, err
		}
	}
	if err := s.store.UpdateOperatorProfile(ctx, &changed); err != nil {
		return nil, err
	}
	if newHash != "" {
		if err := s.store.SetOperatorPassword(ctx, op.ID, newHash); err != nil {
			return nil, err
		}
		changed.PasswordHash = newHash
		ended, err := s.store.DeleteOperatorSessions(ctx, op.ID, sessionHash)
		if err != nil {
			return nil, err
		}
		s.endSessions(ended)
	}
	if changed.Name != op.Name {
		s.announce(s.notify.OperatorChanged(ctx, &changed), "operator", op.ID)
	}
	return &changed, nil
}
