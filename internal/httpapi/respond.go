package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/visitors"
)

// maxBody bounds every JSON request body.
const maxBody = 64 << 10

type errorBody struct {
	Error errorDetail    `json:"error"`
	Owner *domain.Person `json:"owner,omitempty"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// writeJSON answers with v. The body is encoded first, so that its length is known (and a long
// one can be compressed) before the status goes out.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer putBodyBuffer(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		// Answers are our own types; one that cannot be encoded is a bug, not the client's doing.
		status = http.StatusInternalServerError
		buf.Reset()
		json.NewEncoder(buf).Encode(errorBody{Error: errorDetail{Code: "internal_error", Message: "the answer could not be encoded"}})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// bodyBuffers hold request bodies while they are decoded and answers while they are encoded
// and written (the writer copies what it is given): two for every request otherwise.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putBodyBuffer keeps buf for another body unless a long answer made it large.
func putBodyBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBody {
		bodyBuffers.Put(buf)
	}
}

// maxPooledBody keeps the buffers of every body a request may send: a buffer grows by doubling,
// so one that read maxBody may hold up to twice that.
const maxPooledBody = 2 * maxBody

func writeErrorCode(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: message}})
}

// writeError answers err with its status and code (errorAnswer).
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	switch status, body, known := errorAnswer(err); {
	case known:
		writeJSON(w, status, body)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away before its answer (a closed tab, a login given up while it
		// waited for its turn): not the server's failure, and nobody reads the answer. 499 is
		// the status proxies log for it.
		log.Debug("request abandoned by the client", "method", r.Method, "path", r.URL.Path)
		writeErrorCode(w, statusClientClosedRequest, "request_abandoned", "the request was given up before it was answered")
	default:
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, status, body)
	}
}

// ErrorAnswer is the status, code, message and field that a request failing with err answers,
// for answers that are not HTTP responses (a message sent over a live connection). An error it
// does not know is 500 internal_error.
func ErrorAnswer(err error) (status int, code, message, field string) {
	status, body, _ := errorAnswer(err)
	return status, body.Error.Code, body.Error.Message, body.Error.Field
}

// errorAnswer is the one place where domain errors become HTTP statuses and codes. known is
// false for an error that is none of ours: the answer is then 500 internal_error.
func errorAnswer(err error) (status int, body errorBody, known bool) {
	var invalid *domain.ValidationError
	var claimed *domain.ClaimedError
	var tooLarge *http.MaxBytesError
	answer := func(status int, code, message string) (int, errorBody, bool) {
		return status, errorBody{Error: errorDetail{Code: code, Message: message}}, true
	}
	switch {
	case errors.As(err, &invalid):
		return http.StatusUnprocessableEntity, errorBody{Error: errorDetail{Code: invalid.Code, Message: invalid.Message, Field: invalid.Field}}, true
	case errors.As(err, &claimed):
		return http.StatusConflict, errorBody{
			Error: errorDetail{Code: "already_claimed", Message: "this chat was already taken by " + claimed.Owner.Name},
			Owner: &claimed.Owner,
		}, true
	case errors.As(err, &tooLarge):
		return answer(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the request body is larger than %d bytes", tooLarge.Limit))
	case errors.Is(err, errBadJSON):
		return answer(http.StatusBadRequest, "invalid_json", err.Error())
	case errors.Is(err, auth.ErrWrongCredentials):
		return answer(http.StatusUnauthorized, "wrong_credentials", "wrong e-mail or password")
	case errors.Is(err, visitors.ErrVisitorOffline):
		return answer(http.StatusConflict, "visitor_offline", "the visitor has no chat window open any more")
	case errors.Is(err, visitors.ErrAlreadyChatting):
		return answer(http.StatusConflict, "already_chatting", "the visitor is already chatting")
	case errors.Is(err, visitors.ErrUnknownAccount):
		return answer(http.StatusNotFound, "unknown_account", "no account has this key")
	case errors.Is(err, domain.ErrUnauthorized):
		return answer(http.StatusUnauthorized, "unauthorized", "sign in first: the token is missing, expired or wrong")
	case errors.Is(err, domain.ErrCSRF):
		return answer(http.StatusForbidden, "csrf_failed", csrfFailedMessage)
	case errors.Is(err, domain.ErrNotFound):
		return answer(http.StatusNotFound, "not_found", "not found")
	case errors.Is(err, domain.ErrNotRouted):
		return answer(http.StatusForbidden, "not_routed", "a routing rule gave this chat to other operators")
	case errors.Is(err, domain.ErrLastAdmin):
		return answer(http.StatusConflict, "last_admin", "the account must keep at least one admin")
	case errors.Is(err, domain.ErrForbidden):
		return answer(http.StatusForbidden, "forbidden", forbiddenMessage(err))
	case errors.Is(err, domain.ErrClosed):
		return answer(http.StatusConflict, "conversation_closed", "the conversation is closed")
	case errors.Is(err, domain.ErrRateLimited):
		return answer(http.StatusTooManyRequests, "rate_limited", "too many requests of this kind; try again later")
	case errors.Is(err, domain.ErrConflict):
		return answer(http.StatusConflict, "conflict", err.Error())
	}
	status, body, _ = answer(http.StatusInternalServerError, "internal_error", "something went wrong on our side; it has been logged")
	return status, body, false
}

func forbiddenMessage(err error) string {
	if msg := strings.TrimPrefix(err.Error(), domain.ErrForbidden.Error()+"\n"); msg != err.Error() {
		return msg
	}
	return "you may not do this"
}

const statusClientClosedRequest = 499

var errBadJSON = errors.New("the request body is not valid JSON")

// decode reads one bounded JSON value into v; an empty body or trailing data is bad JSON.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeBody(w, r, v, false)
}

// decodeOptional is decode for requests whose body may be left out altogether.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeBody(w, r, v, true)
}

// decodeBody reads the whole body into a buffer that requests share one after the other and
// decodes it from there: json.Decoder would allocate a buffer of its own for every request.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer putBodyBuffer(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return fmt.Errorf("%w: %v", errBadJSON, err)
	}
	data := buf.Bytes()
	if len(bytes.TrimSpace(data)) == 0 {
		if optional {
			return nil
		}
		return fmt.Errorf("%w: the body is empty", errBadJSON)
	}
	if err := json.Unmarshal(data, v); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) && strings.HasSuffix(syntax.Error(), "after top-level value") {
			return fmt.Errorf("%w: more than one JSON value", errBadJSON)
		}
		return fmt.Errorf("%w: %v", errBadJSON, err)
	}
	return nil
}
