package operators

import (
	"context"
	"errors"
	"net/http"

	"github.com/portico/portico/internal/domain"
)

// MaxPhotoBytes bounds an uploaded photo.
const MaxPhotoBytes = 1 << 20

// PhotoPath is where a photo is served; operators' photo_url is this path (root-relative: the
// widget resolves it against the Portico server, not the page it runs on).
const PhotoPath = "/api/v1/photos/"

var (
	ErrPhotoType     = errors.New("a photo must be a PNG, JPEG or WebP image")
	ErrPhotoTooLarge = errors.New("a photo may be at most 1 MiB")
	errPhotoEmpty    = domain.Invalid("invalid_field", "photo", "the photo is empty")
)

// photoTypes are the image types accepted, by what their bytes say (not what the client claims).
var photoTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/webp": true}

// SetPhoto stores a new photo for the operator and points photo_url at it.
func (s *Service) SetPhoto(ctx context.Context, op *domain.Operator, data []byte) (*domain.Operator, error) {
	if len(data) == 0 {
		return nil, errPhotoEmpty
	}
	if len(data) > MaxPhotoBytes {
		return nil, ErrPhotoTooLarge
	}
	kind := http.DetectContentType(data)
	if !photoTypes[kind] {
		return nil, ErrPhotoType
	}
	p := &domain.Photo{ID: domain.NewID(), OperatorID: op.ID, ContentType: kind, Data: data, CreatedAt: s.now().UTC()}
	url := PhotoPath + p.ID
	if err := s.store.SaveOperatorPhoto(ctx, p, url); err != nil {
		return nil, err
	}
	changed := *op
	changed.PhotoURL = url
	s.announce(s.notify.OperatorChanged(ctx, &changed), "operator", op.ID)
	return &changed, nil
}

// DeletePhoto removes the operator's photo.
func (s *Service) DeletePhoto(ctx context.Context, op *domain.Operator) (*domain.Operator, error) {
	if err := s.store.DeleteOperatorPhoto(ctx, op.ID); err != nil {
		return nil, err
	}
	changed := *op
	changed.PhotoURL = ""
	s.announce(s.notify.OperatorChanged(ctx, &changed), "operator", op.ID)
	return &changed, nil
}

// Photo returns a stored photo; photos are public, as visitors see them.
func (s *Service) Photo(ctx context.Context, id string) (*domain.Photo, error) {
	if id == "" || len(id) > 64 {
		return nil, domain.ErrNotFound
	}
	return s.store.PhotoByID(ctx, id)
}
