// Package detour matches requests against compiled detour redirect rules, through the C ABI
// of crates/detour-capi. Build the library first: `cargo build --release -p detour-capi`.
//
// Matchers are native handles, not pointers: a Matcher used after Close (through any copy)
// gets ErrClosed, never freed memory.
package detour

// #include "detour.h"
import "C"

import (
	"fmt"
	"math"
	"strings"
	"sync"
)

// Request is one request to match. URL is `https://host/path?query` or `/path?query`, as the
// server received it (nothing is normalised). Empty Country and Language mean not given.
type Request struct {
	URL, Country, Language string
	Cookies                map[string]string
	AssetExists            bool
}

// Result is the decision for a request. With Matched, the other fields describe the rule;
// Denied means a Role rule denied access (answer 404); TooLong means the rule's substituted
// target would pass 16 KiB (answer 414; File, Line and Rule name the rule).
type Result struct {
	Matched, Denied, Force bool
	Status                 int
	To, Target, File       string
	Line, Rule             int
	Negative, TooLong      bool
}

// Open maps a blob file (written by `detour compile` or Compile).
func Open(path string) (*Matcher, error) {
	p := []byte(path)
	var raw C.uint64_t
	err := call(func() C.int32_t { return C.detour_matcher_open(bytesPtr(p), C.size_t(len(p)), &raw) })
	if err != nil {
		return nil, err
	}
	return newMatcher(raw), nil
}

// FromBytes loads a blob held in memory (copied).
func FromBytes(blob []byte) (*Matcher, error) {
	var raw C.uint64_t
	err := call(func() C.int32_t { return C.detour_matcher_from_bytes(bytesPtr(blob), C.size_t(len(blob)), &raw) })
	if err != nil {
		return nil, err
	}
	return newMatcher(raw), nil
}

// Swap atomically replaces the rules with the blob file at path. On error the old rules stay;
// matches in flight finish with the rules they started with.
func (m *Matcher) Swap(path string) error {
	p := []byte(path)
	return m.with(func(raw C.uint64_t) error {
		return call(func() C.int32_t { return C.detour_matcher_swap_path(raw, bytesPtr(p), C.size_t(len(p))) })
	})
}

// packed is a request as the library takes it: every string in one buffer, named by spans, so
// no Go memory passed to C holds a Go pointer.
type packed struct {
	req     C.DetourRequest
	text    []byte
	cookies []C.DetourCookie
}

func (p *packed) span(s string) C.DetourSpan {
	at := len(p.text)
	p.text = append(p.text, s...)
	return C.DetourSpan{offset: C.uint32_t(at), len: C.uint32_t(len(s))}
}

func pack(r Request) (*packed, error) {
	size := len(r.URL) + len(r.Country) + len(r.Language)
	for k, v := range r.Cookies {
		size += len(k) + len(v)
	}
	if size > math.MaxUint32 {
		return nil, &Error{Code: int(C.DETOUR_ERR_INVALID_ARGUMENT), Message: "request larger than 4 GiB"}
	}
	p := &packed{text: make([]byte, 0, size), cookies: make([]C.DetourCookie, 0, len(r.Cookies))}
	p.req.url = p.span(r.URL)
	if r.Country != "" {
		p.req.country = p.span(r.Country)
		p.req.flags |= C.DETOUR_REQUEST_COUNTRY
	}
	if r.Language != "" {
		p.req.language = p.span(r.Language)
		p.req.flags |= C.DETOUR_REQUEST_LANGUAGE
	}
	if r.AssetExists {
		p.req.flags |= C.DETOUR_REQUEST_ASSET_EXISTS
	}
	for k, v := range r.Cookies {
		p.cookies = append(p.cookies, C.DetourCookie{name: p.span(k), value: p.span(v)})
	}
	return p, nil
}

// outBuffers recycles the buffers results are copied into.
var outBuffers = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}

// Match decides one request: one native call (two when a result needs more than 4 KiB).
func (m *Matcher) Match(r Request) (Result, error) {
	p, err := pack(r)
	if err != nil {
		return Result{}, err
	}
	out := outBuffers.Get().(*[]byte)
	defer outBuffers.Put(out)
	var res C.DetourResult
	err = m.with(func(raw C.uint64_t) error {
		return call(func() C.int32_t {
			code := matchInto(raw, p, &res, *out)
			if code == C.DETOUR_ERR_BUFFER_TOO_SMALL {
				*out = make([]byte, int(res.needed))
				code = matchInto(raw, p, &res, *out)
			}
			return code
		})
	})
	if err != nil {
		return Result{}, err
	}
	return result(&res, *out), nil
}

func matchInto(raw C.uint64_t, p *packed, res *C.DetourResult, out []byte) C.int32_t {
	var cookies *C.DetourCookie
	if len(p.cookies) > 0 {
		cookies = &p.cookies[0]
	}
	return C.detour_matcher_match(raw, &p.req, bytesPtr(p.text), C.size_t(len(p.text)), cookies,
		C.size_t(len(p.cookies)), res, bytesPtr(out), C.size_t(len(out)))
}

func spanString(out []byte, s C.DetourSpan) string {
	return string(out[int(s.offset) : int(s.offset)+int(s.len)])
}

func result(res *C.DetourResult, out []byte) Result {
	switch res.outcome {
	case C.DETOUR_MATCHED:
		return Result{
			Matched: true, Force: res.force != 0, Negative: res.negative != 0, Status: int(res.status),
			To: spanString(out, res.to), Target: spanString(out, res.target), File: spanString(out, res.file),
			Line: int(res.line), Rule: int(res.rule),
		}
	case C.DETOUR_DENIED:
		return Result{Denied: true}
	case C.DETOUR_TOO_LONG:
		return Result{TooLong: true, File: spanString(out, res.file), Line: int(res.line), Rule: int(res.rule)}
	}
	return Result{}
}

// Diagnostic is one problem in the rules.
type Diagnostic struct {
	File         string
	Line, Column int // Column 0: the whole line
	Warning      bool
	Message      string
}

func (d Diagnostic) String() string {
	kind := "error"
	if d.Warning {
		kind = "warning"
	}
	if d.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %s: %s", d.File, d.Line, d.Column, kind, d.Message)
	}
	return fmt.Sprintf("%s:%d: %s: %s", d.File, d.Line, kind, d.Message)
}

// CompileError lists every diagnostic of rules that have errors.
type CompileError struct {
	Diagnostics []Diagnostic
}

func (e *CompileError) Error() string {
	lines := make([]string, len(e.Diagnostics))
	for i, d := range e.Diagnostics {
		lines[i] = d.String()
	}
	return "detour: the rules have errors:\n" + strings.Join(lines, "\n")
}

// Compile reads rule files (`_redirects`, `*.toml`, `*.json`; in priority order) and compiles
// them to a blob. When any rule has an error, the error is a *CompileError.
func Compile(files ...string) ([]byte, error) {
	var text []byte
	spans := make([]C.DetourSpan, len(files))
	for i, f := range files {
		spans[i] = C.DetourSpan{offset: C.uint32_t(len(text)), len: C.uint32_t(len(f))}
		text = append(text, f...)
	}
	var spansPtr *C.DetourSpan
	if len(spans) > 0 {
		spansPtr = &spans[0]
	}
	var h C.uint64_t
	err := call(func() C.int32_t {
		return C.detour_compile_files(spansPtr, C.size_t(len(spans)), bytesPtr(text), C.size_t(len(text)), &h)
	})
	if h != 0 {
		defer C.detour_compilation_free(h)
	}
	if e, ok := err.(*Error); ok && e.Code == int(C.DETOUR_ERR_RULES) {
		return nil, &CompileError{Diagnostics: diagnostics(h)}
	}
	if err != nil {
		return nil, err
	}
	return compiledBlob(h)
}

func compiledBlob(h C.uint64_t) ([]byte, error) {
	var n C.size_t
	C.detour_compilation_blob(h, nil, 0, &n)
	blob := make([]byte, int(n))
	err := call(func() C.int32_t { return C.detour_compilation_blob(h, bytesPtr(blob), n, &n) })
	return blob, err
}

func diagnostics(h C.uint64_t) []Diagnostic {
	var count C.size_t
	C.detour_compilation_diagnostic_count(h, &count)
	list := make([]Diagnostic, 0, int(count))
	buf := make([]byte, 4096)
	for i := 0; i < int(count); i++ {
		var d C.DetourDiagnostic
		code := C.detour_compilation_diagnostic(h, C.size_t(i), &d, bytesPtr(buf), C.size_t(len(buf)))
		if code == C.DETOUR_ERR_BUFFER_TOO_SMALL {
			buf = make([]byte, int(d.needed))
			code = C.detour_compilation_diagnostic(h, C.size_t(i), &d, bytesPtr(buf), C.size_t(len(buf)))
		}
		if code != C.DETOUR_OK {
			continue
		}
		list = append(list, Diagnostic{
			File: spanString(buf, d.file), Line: int(d.line), Column: int(d.column),
			Warning: d.severity == C.DETOUR_SEVERITY_WARNING, Message: spanString(buf, d.message),
		})
	}
	return list
}
