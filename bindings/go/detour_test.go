package detour

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.blobA != "" {
		os.RemoveAll(filepath.Dir(shared.blobA))
	}
	os.Exit(code)
}

// check compares one answer with the CLI's answers for the rule sets that may be live.
func check(t *testing.T, m *Matcher, fx *fixture, i int, wants ...[]Result) bool {
	t.Helper()
	got, err := m.Match(fx.reqs[i])
	if err != nil {
		t.Errorf("request %d (%s): %v", i, fx.reqs[i].URL, err)
		return false
	}
	for _, want := range wants {
		if got == want[i] {
			return true
		}
	}
	t.Errorf("request %d (%.200s):\n got %.400s\nwant %.400s", i, fx.reqs[i].URL, fmt.Sprintf("%+v", got),
		fmt.Sprintf("%+v", wants[0][i]))
	return false
}

func TestEveryAnswerIsTheCLIs(t *testing.T) {
	fx := loadFixture(t)
	m, err := Open(fx.blobA)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	seen := map[string]bool{}
	for i := range fx.reqs {
		if !check(t, m, fx, i, fx.wantA) {
			break
		}
		r := fx.wantA[i]
		seen["matched"] = seen["matched"] || r.Matched
		seen["denied"] = seen["denied"] || r.Denied
		seen["too long"] = seen["too long"] || r.TooLong
		seen["no match"] = seen["no match"] || r == Result{}
	}
	for _, kind := range []string{"matched", "denied", "too long", "no match"} {
		if !seen[kind] {
			t.Errorf("the fixture has no %s answer", kind)
		}
	}
}

// openSeedStyle is the seed's misuse, written against this API: a constructor sets a
// finalizer on its local matcher and returns the matcher by copy, so the original becomes
// garbage while the copy is in use.
func openSeedStyle(path string, finalized *int32) (Matcher, error) {
	m, err := Open(path)
	if err != nil {
		return Matcher{}, err
	}
	runtime.SetFinalizer(m, func(*Matcher) { atomic.AddInt32(finalized, 1) })
	return *m, nil
}

// collect forces GCs until the finalizer count passes want (the original is gone), within a
// bounded number of rounds.
func collect(finalized *int32, want int32) {
	for round := 0; round < 100 && atomic.LoadInt32(finalized) < want; round++ {
		runtime.GC()
		runtime.Gosched()
	}
	runtime.GC() // and one more, for any finalizer queued beside the one we waited for
	runtime.Gosched()
}

// TestSeedMisuse is the seed's crash: open, copy, forced GC between open and match, in a loop.
// The native rules must outlive every copy. TestNegativeControlSeedBindingIsCaught runs this
// test against the seed's way of holding the handle and expects it to fail.
func TestSeedMisuse(t *testing.T) {
	fx := loadFixture(t)
	var finalized int32
	for i := 0; i < 100; i++ {
		c, err := openSeedStyle(fx.blobA, &finalized)
		if err != nil {
			t.Fatal(err)
		}
		collect(&finalized, int32(i+1))
		for j := i; j < len(fx.reqs); j += 257 {
			if !check(t, &c, fx, j, fx.wantA) {
				t.Fatalf("iteration %d: a copy of a matcher whose original was collected failed", i)
			}
		}
	}
	if atomic.LoadInt32(&finalized) == 0 {
		t.Fatal("no original was ever collected: the test did not exercise the misuse")
	}
}

// TestStressRaceGOGC1: 64 goroutines match through copies of one matcher while another swaps
// its rules thousands of times and another opens, matches and closes matchers, with GOGC=1.
// Every answer must be the CLI's answer under one of the two rule sets. Run with -race.
func TestStressRaceGOGC1(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(1))
	fx := loadFixture(t)
	m, err := Open(fx.blobA)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	done := make(chan struct{})
	var failed atomic.Bool
	go func() { // the swapper; when it is done, so is everyone
		defer close(done)
		for i := 0; i < 2000 && !failed.Load(); i++ {
			blob := fx.blobB
			if i%2 == 1 {
				blob = fx.blobA
			}
			if err := m.Swap(blob); err != nil {
				t.Errorf("swap %d: %v", i, err)
				failed.Store(true)
			}
		}
	}()
	var opener sync.WaitGroup
	opener.Add(1)
	go func() { // the opener
		defer opener.Done()
		for i := 0; !failed.Load(); i++ {
			select {
			case <-done:
				return
			default:
			}
			o, err := Open(fx.blobA)
			if err != nil {
				t.Error(err)
				failed.Store(true)
				return
			}
			c := *o
			if !check(t, &c, fx, i%len(fx.reqs), fx.wantA) {
				failed.Store(true)
			}
			o.Close()
			o.Close()
			if _, err := c.Match(fx.reqs[0]); !errors.Is(err, ErrClosed) {
				t.Errorf("a copy matched after Close: %v", err)
				failed.Store(true)
			}
		}
	}()
	var matchers sync.WaitGroup
	var matched atomic.Int64
	for g := 0; g < 64; g++ {
		matchers.Add(1)
		go func(g int, c Matcher) {
			defer matchers.Done()
			for {
				for i := g; i < len(fx.reqs); i += 64 {
					if failed.Load() || !check(t, &c, fx, i, fx.wantA, fx.wantB) {
						failed.Store(true)
						return
					}
					matched.Add(1)
				}
				select {
				case <-done:
					return
				default:
				}
			}
		}(g, *m)
	}
	matchers.Wait()
	opener.Wait()
	t.Logf("%d matches checked against the CLI during 2000 swaps", matched.Load())
}

func TestCloseIsIdempotentAndSeenByEveryCopy(t *testing.T) {
	fx := loadFixture(t)
	m, err := Open(fx.blobA)
	if err != nil {
		t.Fatal(err)
	}
	c := *m
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Match(fx.reqs[0]); !errors.Is(err, ErrClosed) {
		t.Fatalf("Match after Close: %v", err)
	}
	if err := c.Swap(fx.blobB); !errors.Is(err, ErrClosed) {
		t.Fatalf("Swap after Close: %v", err)
	}
	var zero Matcher
	if _, err := zero.Match(fx.reqs[0]); !errors.Is(err, ErrClosed) {
		t.Fatalf("the zero Matcher: %v", err)
	}
}

func TestErrorsCarryTheLibrarysMessage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "_redirects")
	os.WriteFile(bad, []byte("/ok /fine 301\n/bad\n"), 0o644)
	_, err := Compile(bad)
	var ce *CompileError
	if !errors.As(err, &ce) || len(ce.Diagnostics) != 1 || ce.Diagnostics[0].Line != 2 {
		t.Fatalf("Compile: %v", err)
	}
	if !strings.Contains(err.Error(), "_redirects:2: error: missing destination") {
		t.Fatalf("the error does not list the diagnostic: %v", err)
	}
	if _, err := Open(filepath.Join(dir, "missing.detour")); err == nil || !strings.Contains(err.Error(), "missing.detour") {
		t.Fatalf("Open of a missing file: %v", err)
	}
	if _, err := FromBytes([]byte("not a blob")); err == nil || !strings.Contains(err.Error(), "magic") {
		t.Fatalf("FromBytes of junk: %v", err)
	}
	if _, err := FromBytes(nil); err == nil {
		t.Fatal("FromBytes of nothing succeeded")
	}
	fx := loadFixture(t)
	m, _ := FromBytes(mustRead(t, fx.blobA))
	defer m.Close()
	if err := m.Swap(filepath.Join(dir, "missing.detour")); err == nil {
		t.Fatal("Swap to a missing file succeeded")
	}
	check(t, m, fx, 0, fx.wantA) // the old rules stay
	if _, err := m.Match(Request{URL: "https://\xff/x"}); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Fatalf("a host that is not UTF-8: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
