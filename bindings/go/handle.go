//go:build !seedbug

package detour

// #include "detour.h"
import "C"

import (
	"runtime"
	"sync/atomic"
)

// native owns one native matcher handle. Every copy of a Matcher points to the same native,
// so the finalizer runs only when no copy is left, and Close is seen by all of them.
type native struct {
	raw    C.uint64_t
	closed atomic.Bool
}

// Matcher answers requests with compiled rules. Safe to copy by value and to share across
// goroutines; Close it when done (a finalizer frees it otherwise).
type Matcher struct {
	n *native
}

func newMatcher(raw C.uint64_t) *Matcher {
	n := &native{raw: raw}
	runtime.SetFinalizer(n, (*native).free)
	return &Matcher{n: n}
}

// free releases the handle once, from Close or from the finalizer.
func (n *native) free() {
	if n.closed.CompareAndSwap(false, true) {
		C.detour_matcher_free(n.raw)
	}
}

// with calls f with the native handle, keeping the native (and so the handle) alive until f
// has returned. A closed handle is stale in the library, which f reports as ErrClosed.
func (m *Matcher) with(f func(raw C.uint64_t) error) error {
	n := m.n
	if n == nil {
		return ErrClosed
	}
	err := f(n.raw)
	runtime.KeepAlive(n)
	return err
}

// Close frees the native rules. Idempotent, and safe while other goroutines match: their calls
// in flight finish, later ones (through any copy) get ErrClosed.
func (m *Matcher) Close() error {
	if m.n != nil {
		m.n.free()
		runtime.SetFinalizer(m.n, nil)
	}
	return nil
}
