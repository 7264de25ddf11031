package operators

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/portico/portico/internal/domain"
)

// Limits on what admins and operators type. They are part of the documented API (docs/api.md).
const (
	MaxNameChars     = 100
	MaxEmailChars    = 254
	MaxPhoneChars    = 40
	MinPasswordChars = 8
	MaxPasswordChars = 1024
)

func cleanName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", domain.Invalid("invalid_field", field, "the name is required")
	}
	if utf8.RuneCountInString(name) > MaxNameChars || hasControl(name) {
		return "", domain.Invalid("invalid_field", field, "the name must be at most %d characters of text", MaxNameChars)
	}
	return name, nil
}

// cleanEmail checks an e-mail address; optional allows the empty string (none).
func cleanEmail(field, email string, optional bool) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" && optional {
		return "", nil
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > MaxEmailChars {
		return "", domain.Invalid("invalid_field", field, "%q is not an e-mail address", email)
	}
	return email, nil
}

func cleanPhone(phone string) (string, error) {
	phone = strings.TrimSpace(phone)
	if utf8.RuneCountInString(phone) > MaxPhoneChars || hasControl(phone) {
		return "", domain.Invalid("invalid_field", "phone", "the phone number must be at most %d characters", MaxPhoneChars)
	}
	return phone, nil
}

func checkPassword(field, password string) error {
	n := utf8.RuneCountInString(password)
	if n < MinPasswordChars || len(password) > MaxPasswordChars || !utf8.ValidString(password) {
		return domain.Invalid("weak_password", field, "a password needs at least %d characters", MinPasswordChars)
	}
	return nil
}

func checkRole(role domain.Role) error {
	if !role.Valid() {
		return domain.Invalid("invalid_field", "role", "role must be admin or agent")
	}
	return nil
}

func hasControl(s string) bool {
	return !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0
}
