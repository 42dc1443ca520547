package detour_test

import (
	"fmt"
	"os"
	"path/filepath"

	detour "example.invalid/detour/bindings/go"
)

// Compile the demo site's rules, open the blob, and match requests.
func Example() {
	blob, err := detour.Compile("../../fixtures/sites/demo/_redirects")
	if err != nil {
		panic(err) // a *detour.CompileError lists every diagnostic
	}
	path := filepath.Join(os.TempDir(), "demo.detour")
	if err := os.WriteFile(path, blob, 0o644); err != nil {
		panic(err)
	}
	defer os.Remove(path)

	m, err := detour.Open(path) // share m (or copies of it) across goroutines
	if err != nil {
		panic(err)
	}
	defer m.Close()
	for _, r := range []detour.Request{
		{URL: "https://example.com/blog/2024/hello?x=1"},
		{URL: "/", Country: "AT"},
		{URL: "/admin/panel"},
		{URL: "/nope"},
	} {
		res, err := m.Match(r)
		if err != nil {
			panic(err)
		}
		switch {
		case res.Matched:
			fmt.Println(r.URL, "->", res.Status, res.Target, "(line", res.Line, "of", res.File+")")
		case res.Denied:
			fmt.Println(r.URL, "-> 404 (role denied)")
		default:
			fmt.Println(r.URL, "-> no rule")
		}
	}
	// Output:
	// https://example.com/blog/2024/hello?x=1 -> 301 /news/2024/hello.html?x=1 (line 2 of _redirects)
	// / -> 302 /de/ (line 5 of _redirects)
	// /admin/panel -> 404 (role denied)
	// /nope -> no rule
}
