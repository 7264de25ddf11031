// Package auth signs operators in and out: password hashing, sessions and the tokens that name them.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters from OWASP's password storage guidance (19 MiB, 2 passes): memory-hard
// enough to make guessing expensive, cheap enough that a login stays well under 100 ms.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// Each Argon2 computation holds its memory (19 MiB) until it ends, so a burst of logins (a shift
// signing in at once, a script guessing) would hold that much once per login in flight: 190 MiB
// for ten. Computations beyond one per CPU wait for their turn; they would only share the same
// CPUs, and the memory held at once stays at 19 MiB per CPU.
var hashSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))

// deriveKey is Argon2id; a test counts the computations in flight through it.
var deriveKey = argon2.IDKey

// argonKey computes the key once a slot is free, unless ctx ends first.
func argonKey(ctx context.Context, password string, salt []byte, t, m uint32, p uint8, keyLen uint32) ([]byte, error) {
	select {
	case hashSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	hashesInFlight.Add(1)
	defer func() {
		<-hashSlots
		if hashesInFlight.Add(-1) == 0 {
			releaseAfterHashing()
		}
	}()
	return deriveKey([]byte(password), salt, t, m, p, keyLen), nil
}

// The collector sets the heap's next goal from what was live at its last cycle, which during a
// burst of logins counts the Argon2 memory then in use: on a quiet node (2,000 idle visitors)
// ten operators signing in left the goal at about 150 MiB, no cycle came until the heap grew
// back to it (or the runtime's forced one, two minutes later), and the process kept the pages
// meanwhile, 94 MiB above its idle size. So when the last computation in flight ends, the
// memory goes back to the system at once (a collection, then the free pages released: about
// 5 ms for two computations' worth). One collection alone brings the goal down, but the
// runtime's scavenger then returns only part of the pages until a second cycle.
var (
	hashesInFlight atomic.Int32
	releasePending atomic.Bool
)

// releaseAfterHashing starts a release unless one is already waiting to start; one that has
// started may have seen the memory of the computation that just ended still live, so it does not
// count.
func releaseAfterHashing() {
	if releasePending.Swap(true) {
		return
	}
	go func() {
		releasePending.Store(false)
		debug.FreeOSMemory()
	}()
}

// HashPassword returns a PHC-style string: $argon2id$v=19$m=…,t=…,p=…$salt$hash.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := argonKey(context.Background(), password, salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

var errBadHash = errors.New("unrecognised password hash")

// CheckPassword reports whether password matches hash, in constant time.
func CheckPassword(hash, password string) (bool, error) {
	return CheckPasswordContext(context.Background(), hash, password)
}

// CheckPasswordContext is CheckPassword for a request: it gives up its place in the queue for a
// hashing slot when ctx ends (the client went away), with ctx's error.
func CheckPasswordContext(ctx context.Context, hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, errBadHash
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil {
		return false, errBadHash
	}
	got, err := argonKey(ctx, password, salt, t, m, p, uint32(len(want)))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// GeneratePassword returns a random password that is easy to read out and type: 4 groups of 4.
func GeneratePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	rand.Read(b)
	var s strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			s.WriteByte('-')
		}
		s.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return s.String()
}
