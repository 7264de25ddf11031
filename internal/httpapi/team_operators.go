package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/operators"
)

// listOperators answers every operator of the account: admins get the whole operator, agents
// only what colleagues may see of each other (for transfer and invite pickers).
func (a *api) listOperators(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	list, err := a.Operators.List(r.Context(), op)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	if op.Role == domain.RoleAdmin {
		writeJSON(w, http.StatusOK, map[string]any{"operators": list})
		return
	}
	colleagues := make([]domain.Colleague, len(list))
	for i := range list {
		colleagues[i] = domain.ColleagueOf(&list[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"operators": colleagues})
}

type createOperatorRequest struct {
	Email    string      `json:"email"`
	Name     string      `json:"name"`
	Role     domain.Role `json:"role"`
	Password string      `json:"password"`
}

// operatorWithPassword answers an operator and, once, a password Portico made up for them.
type operatorWithPassword struct {
	Operator *domain.Operator `json:"operator"`
	Password string           `json:"password,omitempty"`
}

func (a *api) createOperator(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req createOperatorRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	created, password, err := a.Operators.Create(r.Context(), op, operators.CreateInput{Email: req.Email, Name: req.Name, Role: req.Role, Password: req.Password})
	if err != nil {
		writeOperatorError(w, r, a, err)
		return
	}
	writeJSON(w, http.StatusCreated, operatorWithPassword{Operator: created, Password: password})
}

type updateOperatorRequest struct {
	Name             *string      `json:"name"`
	Email            *string      `json:"email"`
	Role             *domain.Role `json:"role"`
	Password         *string      `json:"password"`
	GeneratePassword bool         `json:"generate_password"`
}

func (a *api) updateOperator(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req updateOperatorRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	in := operators.UpdateInput{Name: req.Name, Email: req.Email, Role: req.Role, Password: req.Password, GeneratePassword: req.GeneratePassword}
	changed, password, err := a.Operators.Update(r.Context(), op, r.PathValue("id"), sessionHash(r), in)
	if err != nil {
		writeOperatorError(w, r, a, err)
		return
	}
	writeJSON(w, http.StatusOK, operatorWithPassword{Operator: changed, Password: password})
}

func (a *api) deleteOperator(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	if err := a.Operators.Delete(r.Context(), op, r.PathValue("id")); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// writeOperatorError names the conflict an operator's e-mail address runs into.
func writeOperatorError(w http.ResponseWriter, r *http.Request, a *api, err error) {
	if errors.Is(err, domain.ErrConflict) {
		writeErrorCode(w, http.StatusConflict, "email_taken", "another operator already has this e-mail address")
		return
	}
	writeError(w, r, a.Log, err)
}

func (a *api) usage(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	months := 12
	if v := r.URL.Query().Get("months"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeError(w, r, a.Log, domain.Invalid("invalid_field", "months", "months must be a whole number from 1 to %d", operators.MaxUsageMonths))
			return
		}
		months = n
	}
	list, err := a.Operators.Usage(r.Context(), op, months)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"months": list})
}

// sessionHash is the stored form of the token the request was made with.
func sessionHash(r *http.Request) string {
	token, _ := r.Context().Value(sessionKey).(string)
	return auth.HashToken(token)
}
