//go:build !seedbug

package detour

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNegativeControlSeedBindingIsCaught builds this package with `-tags seedbug` (the handle
// held the way the seed held its pointer: a finalizer on a local struct returned by copy) and
// runs TestSeedMisuse against it. That run must FAIL, with a stale-handle error where the
// seed crashed: otherwise TestSeedMisuse could not catch the bug it exists for.
func TestNegativeControlSeedBindingIsCaught(t *testing.T) {
	cmd := exec.Command("go", "test", "-count=1", "-tags", "seedbug", "-run", "^TestSeedMisuse$", ".")
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err == nil {
		t.Fatalf("TestSeedMisuse passed against the seed's binding: it cannot catch the bug\n%s", text)
	}
	if !strings.Contains(text, "stale handle") {
		t.Fatalf("the seed's binding failed, but not with a stale-handle error:\n%s", text)
	}
	for _, crash := range []string{"SIGSEGV", "fatal error", "panic:"} {
		if strings.Contains(text, crash) {
			t.Fatalf("the seed's binding crashed (%s) instead of getting a stale handle:\n%s", crash, text)
		}
	}
	t.Logf("as designed, the seed's binding fails TestSeedMisuse:\n%s", firstLines(text, 6))
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
