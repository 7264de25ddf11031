package httpapi

import (
	"net/http"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/rooms"
)

func (a *api) listRooms(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	list, err := a.Rooms.List(r.Context(), op)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"rooms": list})
}

type createRoomRequest struct {
	Name      string   `json:"name"`
	MemberIDs []string `json:"member_ids"`
}

func (a *api) createRoom(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req createRoomRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	room, created, err := a.Rooms.Create(r.Context(), op, rooms.CreateInput{Name: req.Name, MemberIDs: req.MemberIDs})
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]any{"room": room})
}

func (a *api) getRoom(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	room, err := a.Rooms.Get(r.Context(), op, r.PathValue("id"))
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"room": room})
}

func (a *api) roomMessages(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	after, err := afterParam(r)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	list, err := a.Rooms.Messages(r.Context(), op, r.PathValue("id"), after)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": list, "has_more": len(list) == rooms.MaxPage})
}

func (a *api) sendRoomMessage(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req sendRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	m, created, err := a.Rooms.Send(r.Context(), op, r.PathValue("id"), req.Body, req.ClientMsgID)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]any{"message": m})
}

type roomReadRequest struct {
	Seq *int64 `json:"seq"`
}

func (a *api) markRoomRead(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req roomReadRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	if req.Seq == nil {
		writeError(w, r, a.Log, domain.Invalid("invalid_field", "seq", "seq is required: the highest seq you have read"))
		return
	}
	room, err := a.Rooms.MarkRead(r.Context(), op, r.PathValue("id"), *req.Seq)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"room": room})
}

type addRoomMemberRequest struct {
	OperatorID string `json:"operator_id"`
	Admin      bool   `json:"admin"`
}

func (a *api) addRoomMember(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req addRoomMemberRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	room, err := a.Rooms.AddMember(r.Context(), op, r.PathValue("id"), req.OperatorID, req.Admin)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"room": room})
}

type updateRoomMemberRequest struct {
	Admin *bool `json:"admin"`
}

func (a *api) updateRoomMember(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req updateRoomMemberRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	if req.Admin == nil {
		writeError(w, r, a.Log, domain.Invalid("invalid_field", "admin", "admin is required: true or false"))
		return
	}
	room, err := a.Rooms.SetAdmin(r.Context(), op, r.PathValue("id"), r.PathValue("operator_id"), *req.Admin)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"room": room})
}

func (a *api) removeRoomMember(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	if err := a.Rooms.RemoveMember(r.Context(), op, r.PathValue("id"), r.PathValue("operator_id")); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) leaveRoom(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	if err := a.Rooms.Leave(r.Context(), op, r.PathValue("id")); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
