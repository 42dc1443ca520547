package detour

import (
	"os"
	"path/filepath"
	"testing"
)

// The criterion benchmark's 10k workload (`match/10000/compiled/mixed`: 10,000 rules, the first
// 1,000 mixed requests, seed 42), written by
// `cargo xtask gen --rules 10000 --requests 4000 --seed 42 --out target/workloads/bench-10k`.
func benchWorkload(b *testing.B) (*Matcher, []Request) {
	dir := filepath.Join(root(b), "target", "workloads", "bench-10k")
	if _, err := os.Stat(filepath.Join(dir, "_redirects")); err != nil {
		b.Skip("no workload: run `cargo xtask gen --rules 10000 --requests 4000 --seed 42 --out target/workloads/bench-10k`")
	}
	blob, err := Compile(filepath.Join(dir, "_redirects"))
	if err != nil {
		b.Fatal(err)
	}
	m, err := FromBytes(blob)
	if err != nil {
		b.Fatal(err)
	}
	reqs := readRequests(b, filepath.Join(dir, "requests.jsonl"))
	if len(reqs) > 1000 {
		reqs = reqs[:1000]
	}
	return m, reqs
}

// BenchmarkMatch10k: ns per match through the binding (pack, one native call, the Result).
func BenchmarkMatch10k(b *testing.B) {
	m, reqs := benchWorkload(b)
	defer m.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Match(reqs[i%len(reqs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatch10kParallel: the same from every P at once, through copies of one Matcher.
func BenchmarkMatch10kParallel(b *testing.B) {
	m, reqs := benchWorkload(b)
	defer m.Close()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := *m
		for i := 0; pb.Next(); i++ {
			if _, err := c.Match(reqs[i%len(reqs)]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkEmptyCall: the cost of the cgo boundary alone (detour_abi_version).
func BenchmarkEmptyCall(b *testing.B) {
	for i := 0; i < b.N; i++ {
		abiVersion()
	}
}
