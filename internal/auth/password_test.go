package auth

import (
	"context"
	"errors"
	"runtime/metrics"
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

// Once a burst of logins ends, the heap's goal comes back down to what is live and the pages the
// Argon2 computations used go back to the system, instead of staying with the process until the
// heap grows into them again.
func TestABurstOfLoginsGivesItsMemoryBack(t *testing.T) {
	hash, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 2 * cap(hashSlots) {
		wg.Go(func() {
			if ok, err := CheckPassword(hash, "correct horse"); !ok || err != nil {
				t.Errorf("check: %v, %v", ok, err)
			}
		})
	}
	wg.Wait()

	const argonBytes = argonMemory << 10
	samples := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: "/memory/classes/heap/free:bytes"}}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		metrics.Read(samples)
		goal, held := samples[0].Value.Uint64(), samples[1].Value.Uint64()
		if goal < argonBytes && held < argonBytes {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the logins the heap's goal is %d MiB and it holds %d MiB of free pages; want both under one computation's %d MiB",
				goal>>20, held>>20, argonBytes>>20)
		}
	}
}
