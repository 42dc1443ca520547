package detour

// The cgo boundary: flags that find the library in the workspace's target/release, and the
// calls that need the calling thread's last error message.

/*
#cgo CFLAGS: -I${SRCDIR}/../../crates/detour-capi/include
#cgo LDFLAGS: -L${SRCDIR}/../../target/release -ldetour_capi -Wl,-rpath,${SRCDIR}/../../target/release
#include "detour.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"
)

// ErrClosed is returned by Match and Swap after Close, through any copy of the Matcher.
var ErrClosed = errors.New("detour: matcher is closed (stale handle)")

// Error is a failure reported by the native library.
type Error struct {
	Code    int    // one of the DETOUR_ERR_* codes of detour.h
	Message string // the library's message
}

func (e *Error) Error() string { return "detour: " + e.Message }

// call runs one native call on a locked OS thread, so that a failure's message (kept per
// thread by the library) is read from the thread that failed.
func call(f func() C.int32_t) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	code := f()
	if code == C.DETOUR_OK {
		return nil
	}
	return lastError(code)
}

// lastError turns a status code into an error; called on the thread that got the code.
func lastError(code C.int32_t) error {
	if code == C.DETOUR_ERR_STALE_HANDLE {
		return ErrClosed
	}
	var n C.size_t
	C.detour_last_error_message(nil, 0, &n)
	buf := make([]byte, int(n))
	if n > 0 {
		C.detour_last_error_message((*C.uint8_t)(unsafe.Pointer(&buf[0])), n, &n)
	}
	return &Error{Code: int(code), Message: string(buf)}
}

// bytesPtr is a pointer to b's first byte, or nil when b is empty (the library accepts NULL
// with length 0). The slice holds no Go pointers, so cgo may pass it.
func bytesPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

// abiVersion is the cheapest native call: it measures the cost of the boundary itself.
func abiVersion() uint32 { return uint32(C.detour_abi_version()) }

func init() {
	if v := abiVersion(); v != C.DETOUR_ABI_VERSION {
		panic(fmt.Sprintf("detour: the native library speaks ABI %d, this binding %d", v, C.DETOUR_ABI_VERSION))
	}
}
