package domain

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"time"
)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a 26-character id that sorts by creation time, so lists ordered by id are
// ordered by age without an extra index.
func NewID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixNano()))
	rand.Read(b[8:])
	return idEncoding.EncodeToString(b[:])
}

// NewSecret returns a random URL-safe secret of n bytes of entropy, for tokens and keys.
func NewSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return idEncoding.EncodeToString(b)
}
