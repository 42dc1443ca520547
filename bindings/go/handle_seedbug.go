//go:build seedbug

package detour

// The NEGATIVE CONTROL, built only with `-tags seedbug`: the handle held the way the seed's
// binding held its native pointer. The finalizer is set on a local struct that is then
// returned by copy, so the GC frees the native rules while the copy is still in use. With
// handles, the copy gets a stale-handle error where the seed read freed memory. The test
// TestNegativeControlSeedBindingIsCaught checks that TestSeedMisuse catches this binding.

// #include "detour.h"
import "C"

import "runtime"

// Matcher holds the raw handle by value, as the seed did.
type Matcher struct {
	raw C.uint64_t
}

func newMatcher(raw C.uint64_t) *Matcher {
	local := Matcher{raw: raw}
	runtime.SetFinalizer(&local, func(m *Matcher) { C.detour_matcher_free(m.raw) })
	copied := local
	return &copied
}

func (m *Matcher) with(f func(raw C.uint64_t) error) error {
	return f(m.raw)
}

// Close frees the handle (a second Close is a harmless stale free).
func (m *Matcher) Close() error {
	C.detour_matcher_free(m.raw)
	return nil
}
