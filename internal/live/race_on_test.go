//go:build race

package live

// raceDetector: allocation counts mean nothing under it (its sync.Pool drops items on purpose).
const raceDetector = true
