package detour

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The workspace root, from this package's directory.
func root(t testing.TB) string {
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

var cliOnce sync.Once

// cli is the path of the Rust CLI (target/release/detour), whose answers every binding test
// checks against. Cargo brings it up to date once per run (a no-op when it is), so the answers
// are never those of an old build.
func cli(t testing.TB) string {
	bin := filepath.Join(root(t), "target", "release", "detour")
	cliOnce.Do(func() {
		cmd := exec.Command("cargo", "build", "--release", "-q", "-p", "detour-cli")
		cmd.Dir = root(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building the detour CLI: %v\n%s", err, out)
		}
	})
	return bin
}

// requestLine is a line of `detour match --requests` input.
type requestLine struct {
	URL         string            `json:"url"`
	Country     string            `json:"country,omitempty"`
	Language    string            `json:"language,omitempty"`
	Cookies     map[string]string `json:"cookies,omitempty"`
	AssetExists bool              `json:"asset_exists,omitempty"`
}

// answerLine is a line of its output: null, {"denied":true}, {"too_long":true,...} or a match.
type answerLine struct {
	Denied  bool   `json:"denied"`
	TooLong bool   `json:"too_long"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	Rule    int    `json:"rule"`
	Status  int    `json:"status"`
	Force   bool   `json:"force"`
	Neg     bool   `json:"negative"`
	To      string `json:"to"`
	Target  string `json:"target"`
}

func (a *answerLine) result() Result {
	switch {
	case a == nil:
		return Result{}
	case a.Denied:
		return Result{Denied: true}
	case a.TooLong:
		return Result{TooLong: true, File: a.File, Line: a.Line, Rule: a.Rule}
	}
	return Result{Matched: true, Force: a.Force, Negative: a.Neg, Status: a.Status, To: a.To, Target: a.Target,
		File: a.File, Line: a.Line, Rule: a.Rule}
}

// cliAnswers runs `detour match BLOB --requests` over the requests and returns its answers.
func cliAnswers(t testing.TB, blob string, reqs []Request) []Result {
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, r := range reqs {
		line := requestLine{URL: r.URL, Country: r.Country, Language: r.Language, Cookies: r.Cookies, AssetExists: r.AssetExists}
		if err := enc.Encode(line); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "requests.jsonl")
	if err := os.WriteFile(file, in.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cli(t), "match", blob, "--requests", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("detour match: %v\n%s", err, stderr.String())
	}
	var answers []Result
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var a *answerLine
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("detour match printed %q: %v", line, err)
		}
		answers = append(answers, a.result())
	}
	if len(answers) != len(reqs) {
		t.Fatalf("detour match gave %d answers for %d requests", len(answers), len(reqs))
	}
	return answers
}

// readRequests reads a JSONL request file.
func readRequests(t testing.TB, path string) []Request {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var reqs []Request
	scan := bufio.NewScanner(f)
	for scan.Scan() {
		var l requestLine
		if err := json.Unmarshal(scan.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, Request{URL: l.URL, Country: l.Country, Language: l.Language, Cookies: l.Cookies, AssetExists: l.AssetExists})
	}
	return reqs
}

// fixture: two rule sets over the same requests, compiled through the binding, and the CLI's
// answers for each.
type fixture struct {
	blobA, blobB string
	reqs         []Request
	wantA, wantB []Result
}

var (
	fixtureOnce sync.Once
	shared      fixture
)

// loadFixture compiles the 1k workload plus bindings/testdata/extra_redirects (A) and the same
// rules in reverse order (B, so most answers differ), takes the workload's requests plus
// bindings/testdata/extra_requests.jsonl, and asks the CLI for every answer.
func loadFixture(t testing.TB) *fixture {
	fixtureOnce.Do(func() {
		dir, err := os.MkdirTemp("", "detour-go-")
		if err != nil {
			t.Fatal(err)
		}
		workload := filepath.Join(root(t), "fixtures", "workloads", "1k")
		testdata := filepath.Join(root(t), "bindings", "testdata")
		extra, err := os.ReadFile(filepath.Join(testdata, "extra_redirects"))
		if err != nil {
			t.Fatal(err)
		}
		rules, err := os.ReadFile(filepath.Join(workload, "_redirects"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(extra)+string(rules)), "\n")
		reversed := make([]string, len(lines))
		for i, l := range lines {
			reversed[len(lines)-1-i] = l
		}
		shared.blobA = compileTo(t, dir, "a", strings.Join(lines, "\n")+"\n")
		shared.blobB = compileTo(t, dir, "b", strings.Join(reversed, "\n")+"\n")
		shared.reqs = append(readRequests(t, filepath.Join(workload, "requests.jsonl")),
			readRequests(t, filepath.Join(testdata, "extra_requests.jsonl"))...)
		shared.wantA = cliAnswers(t, shared.blobA, shared.reqs)
		shared.wantB = cliAnswers(t, shared.blobB, shared.reqs)
	})
	if shared.blobA == "" {
		t.Fatal("the fixture failed to build")
	}
	return &shared
}

// compileTo writes rules to DIR/NAME/_redirects, compiles them with Compile and writes the
// blob to DIR/NAME.detour.
func compileTo(t testing.TB, dir, name, rules string) string {
	src := filepath.Join(dir, name, "_redirects")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	blob, err := Compile(src)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name+".detour")
	if err := os.WriteFile(out, blob, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}
