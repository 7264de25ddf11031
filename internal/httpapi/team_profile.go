package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/operators"
)

// updateProfile applies the profile fields of PATCH /me; it reports false when it has answered
// with an error.
func (a *api) updateProfile(w http.ResponseWriter, r *http.Request, op *domain.Operator, req updateMeRequest) (*domain.Operator, bool) {
	in := operators.ProfileInput{
		Name: req.Name, Phone: req.Phone, TranscriptEmail: req.TranscriptEmail,
		NotifyColleaguePickup: req.NotifyColleaguePickup, AlertSound: req.AlertSound,
		CurrentPassword: req.CurrentPassword, NewPassword: req.NewPassword,
	}
	changed, err := a.Operators.UpdateProfile(r.Context(), op, sessionHash(r), in)
	if err != nil {
		writeError(w, r, a.Log, err)
		return nil, false
	}
	return changed, true
}

// maxPhotoRequest leaves room for the multipart framing around a photo of the largest size.
const maxPhotoRequest = operators.MaxPhotoBytes + 16<<10

// uploadPhoto takes the photo as the raw request body or as the "photo" part (or first file)
// of a multipart form. Its type is read from its bytes.
func (a *api) uploadPhoto(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	data, err := readPhoto(w, r)
	if err == nil {
		var changed *domain.Operator
		if changed, err = a.Operators.SetPhoto(r.Context(), op, data); err == nil {
			writeJSON(w, http.StatusOK, map[string]any{"operator": changed})
			return
		}
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge) || errors.Is(err, operators.ErrPhotoTooLarge):
		writeErrorCode(w, http.StatusRequestEntityTooLarge, "photo_too_large", "a photo may be at most 1 MiB")
	case errors.Is(err, operators.ErrPhotoType):
		writeErrorCode(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "a photo must be a PNG, JPEG or WebP image")
	default:
		writeError(w, r, a.Log, err)
	}
}

var errNoPhotoPart = domain.Invalid("invalid_field", "photo", "the form has no photo file")

func readPhoto(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, maxPhotoRequest)
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "multipart/form-data" {
		return readAtMost(body)
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errNoPhotoPart
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return nil, err
			}
			return nil, domain.Invalid("invalid_field", "photo", "the multipart form is malformed: %v", err)
		}
		if part.FormName() == "photo" || part.FileName() != "" {
			return readAtMost(part)
		}
	}
}

// readAtMost reads a photo, stopping one byte past the limit: enough to know it is too large.
func readAtMost(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(r, operators.MaxPhotoBytes+1)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, err
		}
		return nil, fmt.Errorf("read photo: %w", err)
	}
	return buf.Bytes(), nil
}

func (a *api) deletePhoto(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	changed, err := a.Operators.DeletePhoto(r.Context(), op)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"operator": changed})
}

// servePhoto is public: visitors see operators' photos in the widget, on customers' sites. A
// photo never changes under its id (a new upload gets a new one), so it is cached for a year,
// and any page may load it.
func (a *api) servePhoto(w http.ResponseWriter, r *http.Request) {
	p, err := a.Operators.Photo(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", p.ContentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("ETag", `"`+p.ID+`"`)
	http.ServeContent(w, r, "", p.CreatedAt, bytes.NewReader(p.Data))
}
