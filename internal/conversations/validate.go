package conversations

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/portico/portico/internal/domain"
)

// Limits on what people type. They are part of the documented API (docs/api.md).
const (
	MaxBodyChars        = 5000
	MaxClientMsgIDChars = 64
	MaxNameChars        = 100
	MaxEmailChars       = 254
	MaxHistoryPage      = 1000
)

// CleanBody checks a message body and trims the blank lines around it.
func CleanBody(body string) (string, error) {
	if !utf8.ValidString(body) {
		return "", domain.Invalid("invalid_field", "body", "the message is not valid UTF-8")
	}
	body = strings.TrimSpace(body)
	if body == "" {
		return "", domain.Invalid("message_empty", "body", "the message is empty")
	}
	if n := utf8.RuneCountInString(body); n > MaxBodyChars {
		return "", domain.Invalid("message_too_long", "body", "the message has %d characters; the limit is %d", n, MaxBodyChars)
	}
	return body, nil
}

func checkClientMsgID(id string) error {
	if id == "" || utf8.RuneCountInString(id) > MaxClientMsgIDChars || strings.TrimSpace(id) != id {
		return domain.Invalid("invalid_client_msg_id", "client_msg_id", "client_msg_id is required: 1 to %d characters without surrounding spaces", MaxClientMsgIDChars)
	}
	return nil
}

// CleanIdentity checks an optional name and e-mail a visitor gave.
func CleanIdentity(name, email string) (string, string, error) {
	name, email = strings.TrimSpace(name), strings.TrimSpace(email)
	if utf8.RuneCountInString(name) > MaxNameChars {
		return "", "", domain.Invalid("invalid_field", "name", "the name is longer than %d characters", MaxNameChars)
	}
	if email != "" {
		addr, err := mail.ParseAddress(email)
		if err != nil || addr.Address != email || len(email) > MaxEmailChars {
			return "", "", domain.Invalid("invalid_field", "email", "%q is not an e-mail address", email)
		}
	}
	return name, email, nil
}
