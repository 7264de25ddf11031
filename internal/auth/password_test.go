package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A burst of logins computes at most one Argon2 key per CPU at a time: each holds 19 MiB.
func TestPasswordHashingIsBoundedPerCPU(t *testing.T) {
	hash, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	var inFlight, most atomic.Int64
	real := deriveKey
	deriveKey = func(password, salt []byte, passes, memory uint32, threads uint8, keyLen uint32) []byte {
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(20 * time.Millisecond) // long enough for the others to pile up
		defer inFlight.Add(-1)
		return real(password, salt, passes, memory, threads, keyLen)
	}
	t.Cleanup(func() { deriveKey = real })

	logins := 4 * cap(hashSlots)
	var wg sync.WaitGroup
	var wrong atomic.Int64
	for i := range logins {
		wg.Go(func() {
			password := "correct horse"
			if i%2 == 1 {
				password = "wrong horse"
			}
			ok, err := CheckPassword(hash, password)
			if err != nil || ok != (i%2 == 0) {
				wrong.Add(1)
			}
		})
	}
	wg.Wait()
	if n := wrong.Load(); n > 0 {
		t.Fatalf("%d of %d checks gave the wrong answer", n, logins)
	}
	if got, want := most.Load(), int64(cap(hashSlots)); got != want {
		t.Fatalf("at most %d computations were in flight at once, want %d (one per CPU)", got, want)
	}
}

// A login waiting for its turn gives up when its request ends, rather than hashing for a client
// that has gone.
func TestPasswordCheckStopsWaitingWhenTheRequestEnds(t *testing.T) {
	hash, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	for range cap(hashSlots) { // every slot busy
		hashSlots <- struct{}{}
	}
	t.Cleanup(func() {
		for range cap(hashSlots) {
			<-hashSlots
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	ok, err := CheckPasswordContext(ctx, hash, "correct horse")
	if ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, %v; want false and the context's error", ok, err)
	}
}
