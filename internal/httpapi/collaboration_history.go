package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/history"
)

func (a *api) searchHistory(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	q := r.URL.Query()
	page, err := a.History.Search(r.Context(), op, history.Query{
		Text:       q.Get("q"),
		From:       q.Get("from"),
		To:         q.Get("to"),
		OperatorID: q.Get("operator_id"),
		CategoryID: q.Get("category_id"),
		VisitorID:  q.Get("visitor_id"),
		AccountID:  q.Get("account_id"),
		Limit:      q.Get("limit"),
		Cursor:     q.Get("cursor"),
	})
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

type transcriptExport struct {
	Conversation domain.Conversation `json:"conversation"`
	Messages     []domain.Message    `json:"messages"`
}

// exportConversation answers a transcript as a file to save: JSON (the conversation and its
// messages, as the API has them) or CSV (a row a message, safe to open in a spreadsheet).
func (a *api) exportConversation(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		writeError(w, r, a.Log, domain.Invalid("invalid_field", "format", "format must be json or csv"))
		return
	}
	c, messages, err := a.History.Transcript(r.Context(), op, r.PathValue("id"))
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	// Built in memory first, so that a failure is still an error answer, not half a file.
	var body bytes.Buffer
	contentType := "application/json; charset=utf-8"
	if format == "csv" {
		contentType = "text/csv; charset=utf-8"
		err = history.WriteCSV(&body, c, messages)
	} else {
		enc := json.NewEncoder(&body)
		enc.SetIndent("", "  ")
		err = enc.Encode(transcriptExport{Conversation: *c, Messages: messages})
	}
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	// Ids are base32 characters only, so the file name needs no quoting beyond the quotes.
	w.Header().Set("Content-Disposition", `attachment; filename="conversation-`+c.ID+`.`+format+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(body.Bytes())
}
