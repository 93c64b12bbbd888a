// Package plexctl is the Go door of libplexctl: a cgo wrapper over its C ABI (include/plexctl.h),
// the client of the plexsphere v1 auth API. The model lives in the Rust core; this package only
// crosses the boundary, so every meaning (exit code, error kind, field) comes from the library.
//
// # Module path
//
// The module is example.invalid/libplexctl/ffi/go: the project's declared home (the Cargo
// workspace's repository, https://example.invalid/libplexctl) plus this directory, the layout Go
// expects for a module in a subdirectory of its repository. Releases are tagged ffi/go/vX.Y.Z in
// step with the library's version (Version, HeaderVersion). The package name is plexctl:
//
//	import plexctl "example.invalid/libplexctl/ffi/go"
//
// When the project gets a real host, the module path changes with it (one line in go.mod).
//
// # Building
//
// The package finds libplexctl and plexctl.h through pkg-config (`#cgo pkg-config: plexctl`), as
// any installed C library: install it with cargo-c (`cargo cinstall --release -p plexctl-ffi
// --prefix=PREFIX` installs libplexctl.so.0 with its SONAME, libplexctl.a, the header and
// plexctl.pc) and, for a prefix pkg-config does not search, point PKG_CONFIG_PATH at it:
//
//	cargo cinstall --release --locked -p plexctl-ffi --prefix=/opt/plexctl
//	PKG_CONFIG_PATH=/opt/plexctl/lib/pkgconfig CGO_LDFLAGS=-Wl,-rpath,/opt/plexctl/lib go build
//
// A build tree works the same way: install the debug build into a prefix under target/ (tests/ffi.sh
// does exactly this: cargo cinstall --profile dev -p plexctl-ffi --prefix=target/c/prefix). Nothing
// points into target/.
//
// # Errors
//
// Every failure is an *Error. Kind says what it means (core's ErrorKind, one constant per
// PLEXCTL_ERROR_KIND_* value, named by the library); ExitCode is the plexctl exit code, so a
// command can os.Exit(e.ExitCode). Branch on Kind, not on the HTTP status or the Problem code.
//
// # Secrets
//
// Token plaintexts and access tokens are returned as []byte the caller can wipe with Wipe (or
// clear); they never become Go strings, which cannot be wiped. Secret inputs are []byte the library
// copies at once into buffers it wipes. The library wipes its own copies when the result handles
// are freed, which this package does before returning.
//
// # Handles
//
// Client and TokenSource are safe for concurrent use. Close is the contract (idempotent, waits for
// calls in flight); a garbage-collection cleanup only backstops a forgotten Close.
//
// # Contexts and deadlines
//
// Every method that talks to the server takes a context.Context first. Its deadline becomes the
// call's timeout; the library enforces it (connecting, TLS, sending, the headers, the whole body
// and any retries all happen within it), so a server that stalls or drips its answer cannot hold
// the call past it:
//
//   - A context already done when the call starts (cancelled, or its deadline passed) ends it at
//     once, before anything is sent.
//   - A deadline is never a longer timeout: the call runs within the earlier of ctx's deadline and
//     Options.Timeout (30 s by default), as net/http's Client.Timeout and a request's context
//     combine. Without a deadline, Options.Timeout alone applies.
//   - A call the context ends fails with an *Error whose Kind is ErrorKindTimeout when the
//     deadline passed and ErrorKindCancelled when ctx was cancelled (ExitCode 1 either way), and
//     whose Unwrap returns ctx.Err() (joined with context.Cause when one was given), so
//     errors.Is(err, context.DeadlineExceeded) and errors.Is(err, context.Canceled) work. A
//     timeout of Options.Timeout while ctx's deadline is still ahead unwraps to nothing.
//   - Cancelling ctx while a request is in flight does not interrupt it (the request may already
//     have changed something on the server, such as an issued token): it ends within the
//     deadline. Only Login and CompleteDeviceLogin, which wait between requests, stop promptly.
//   - A nil ctx is a usage error; pass context.Background() for "no deadline".
//
// A call with a deadline sooner than Options.Timeout runs on a handle derived for it
// (plexctl_client_with_timeout: the same connection pool, its own timeout), freed when it returns.
//
// # Device login
//
// Login blocks while it polls for the user's approval. Its context is the library's cancel check,
// asked while it waits between polls (about every 50 ms): cancelling it ends the login with an
// *Error of Kind ErrorKindCancelled, its deadline with ErrorKindTimeout, either wrapping the
// context's error. Each request of a login (the start and every poll) runs within what was left
// of the deadline when the login began, so a poll in flight may finish a little after it. The
// callbacks cross cgo through a runtime/cgo.Handle; OnCode runs on the calling goroutine.
package plexctl

/*
#cgo pkg-config: plexctl
#include <stdlib.h>
#include "plexctl.h"

// The calling thread's last error, read in one C call. Call it on the OS thread that ran the
// failed operation (the Go side holds runtime.LockOSThread across both); its strings are borrowed
// until the next fallible call on that thread.
typedef struct {
	uint32_t kind;
	int32_t http_status;
	const char *message;
	const char *code;
	const char *correlation_id;
	const plexctl_secret *plaintext;
} goplexctl_error;

static goplexctl_error goplexctl_last_error(void) {
	goplexctl_error e;
	e.kind = plexctl_last_error_kind();
	e.http_status = plexctl_last_error_http_status();
	e.message = plexctl_last_error_message();
	e.code = plexctl_last_error_code();
	e.correlation_id = plexctl_last_error_correlation_id();
	e.plaintext = plexctl_last_error_plaintext();
	return e;
}

// The device-login callbacks: C shims over the Go functions callbacks.go exports (a file with
// //export may hold only declarations in its preamble). user_data carries a runtime/cgo.Handle as
// an integer, never as a Go pointer.
extern void goplexctlOnCode(plexctl_device_authorization *auth, uintptr_t state);
extern bool goplexctlCancelled(uintptr_t state);

static void goplexctl_on_code(const plexctl_device_authorization *auth, void *user_data) {
	goplexctlOnCode((plexctl_device_authorization *)auth, (uintptr_t)user_data);
}

static bool goplexctl_cancelled(void *user_data) {
	return goplexctlCancelled((uintptr_t)user_data);
}

// plexctl_login with the Go callbacks; show_code false passes a NULL on_code, which the library
// refuses as it refuses it from C.
static plexctl_status goplexctl_login(const plexctl_client *client, const char *domain_id,
		const char *idp_binding_id, const char *idp_binding_alias, const char *profile,
		bool make_default, bool show_code, uintptr_t state, plexctl_login_outcome **out) {
	return plexctl_login(client, domain_id, idp_binding_id, idp_binding_alias, profile, make_default,
		show_code ? goplexctl_on_code : NULL, goplexctl_cancelled, (void *)state, out);
}

// plexctl_complete_device_login with the Go cancel check.
static plexctl_status goplexctl_complete_device_login(const plexctl_client *client,
		const plexctl_device_authorization *auth, const char *profile, bool make_default,
		uintptr_t state, plexctl_login_outcome **out) {
	return plexctl_complete_device_login(client, auth, profile, make_default, goplexctl_cancelled,
		(void *)state, out);
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/cgo"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// HeaderVersion is the version of plexctl.h this package was compiled against.
const HeaderVersion = C.PLEXCTL_VERSION_STRING

// Version is the version of the linked libplexctl, e.g. "0.1.0". A value other than HeaderVersion
// means the library and the header do not match.
func Version() string { return goString(C.plexctl_version()) }

// Exit codes of the plexctl taxonomy: the C plexctl_status values, generated from core's table.
const (
	ExitOK          = C.PLEXCTL_STATUS_OK
	ExitRuntime     = C.PLEXCTL_STATUS_RUNTIME
	ExitUsage       = C.PLEXCTL_STATUS_USAGE
	ExitCredentials = C.PLEXCTL_STATUS_CREDENTIALS
	ExitDenied      = C.PLEXCTL_STATUS_DENIED
	ExitRebacDenied = C.PLEXCTL_STATUS_REBAC_DENIED
)

// ErrorKind is what an error means: core's ErrorKind, one constant per PLEXCTL_ERROR_KIND_*
// value of the header. String returns the library's stable snake_case name.
type ErrorKind uint32

// The error kinds. The exit code follows from the kind alone (see the header's comments).
const (
	ErrorKindUsage              ErrorKind = C.PLEXCTL_ERROR_KIND_USAGE               // bad input; nothing sent (2)
	ErrorKindMissingCredentials ErrorKind = C.PLEXCTL_ERROR_KIND_MISSING_CREDENTIALS // no token or server (3)
	ErrorKindInsecureTransport  ErrorKind = C.PLEXCTL_ERROR_KIND_INSECURE_TRANSPORT  // http:// off loopback (3)
	ErrorKindInsecureConfig     ErrorKind = C.PLEXCTL_ERROR_KIND_INSECURE_CONFIG     // config not private (3)
	ErrorKindPermissionDenied   ErrorKind = C.PLEXCTL_ERROR_KIND_PERMISSION_DENIED   // 403 (4)
	ErrorKindRebacDenied        ErrorKind = C.PLEXCTL_ERROR_KIND_REBAC_DENIED        // key rotate 403 (77)
	ErrorKindNodeNotFound       ErrorKind = C.PLEXCTL_ERROR_KIND_NODE_NOT_FOUND      // key rotate 404 (4)
	ErrorKindNotProvisioned     ErrorKind = C.PLEXCTL_ERROR_KIND_NOT_PROVISIONED     // 501 (1)
	ErrorKindAPI                ErrorKind = C.PLEXCTL_ERROR_KIND_API                 // other non-2xx (1)
	ErrorKindDecode             ErrorKind = C.PLEXCTL_ERROR_KIND_DECODE              // unparsable 2xx body (1)
	ErrorKindTransport          ErrorKind = C.PLEXCTL_ERROR_KIND_TRANSPORT           // connection or TLS (1)
	ErrorKindTimeout            ErrorKind = C.PLEXCTL_ERROR_KIND_TIMEOUT             // deadline passed (1)
	ErrorKindRefused            ErrorKind = C.PLEXCTL_ERROR_KIND_REFUSED             // grant flag mismatch (1)
	ErrorKindSessionNotSaved    ErrorKind = C.PLEXCTL_ERROR_KIND_SESSION_NOT_SAVED   // rotated, not stored (1)
	ErrorKindConfig             ErrorKind = C.PLEXCTL_ERROR_KIND_CONFIG              // config file I/O (1)
	ErrorKindSetup              ErrorKind = C.PLEXCTL_ERROR_KIND_SETUP               // CA bundle, TLS set-up (1)
	ErrorKindInternal           ErrorKind = C.PLEXCTL_ERROR_KIND_INTERNAL            // a bug caught at the door (1)
	ErrorKindAccessDenied       ErrorKind = C.PLEXCTL_ERROR_KIND_ACCESS_DENIED       // device login denied (4)
	ErrorKindLoginExpired       ErrorKind = C.PLEXCTL_ERROR_KIND_LOGIN_EXPIRED       // device code expired (1)
	ErrorKindCancelled          ErrorKind = C.PLEXCTL_ERROR_KIND_CANCELLED           // the caller stopped it (1)
)

// String is the library's name of the kind ("usage", "node_not_found", ...), or "ErrorKind(n)"
// for a value the library does not know.
func (k ErrorKind) String() string {
	if p := C.plexctl_error_kind_name(C.uint32_t(k)); p != nil {
		return C.GoString(p)
	}
	return "ErrorKind(" + strconv.FormatUint(uint64(k), 10) + ")"
}

// Error is a failure reported by libplexctl.
type Error struct {
	Kind          ErrorKind // what it means; branch on this
	ExitCode      int       // the plexctl exit code: 1, 2, 3, 4 or 77
	Status        int       // the HTTP status, or 0 when there was no HTTP answer
	Code          string    // the server's Problem code (e.g. "node_not_found"), or ""
	CorrelationID string    // the PermissionDenied correlation id, or ""
	Message       string    // never contains a secret
	// Plaintext is a plaintext the server minted that this failure must not lose: the new one of
	// an issue or rotate whose answer was otherwise malformed (Kind ErrorKindDecode; the token is
	// live), or of a rotated session or a device login that could not be saved
	// (ErrorKindSessionNotSaved). nil otherwise. Store or show it, then Wipe it.
	Plaintext []byte
	// cause is the context's error when the context ended the call (context.Canceled or
	// context.DeadlineExceeded, joined with its cause), so errors.Is sees it through Unwrap.
	cause error
}

func (e *Error) Error() string {
	return fmt.Sprintf("plexctl: %s (%s, exit code %d)", e.Message, e.Kind, e.ExitCode)
}

// Unwrap is the context's error when the call's context ended it (Kind ErrorKindTimeout or
// ErrorKindCancelled; see "Contexts and deadlines"), or nil.
func (e *Error) Unwrap() error { return e.cause }

// usageError is a usage error raised on the Go side of the door (a closed handle, a string C
// cannot carry), shaped as the library shapes its own.
func usageError(message string) *Error {
	return &Error{Kind: ErrorKindUsage, ExitCode: ExitUsage, Message: message}
}

// call runs one fallible C operation and, when it fails, reads the thread-local last error. A
// goroutine may move between OS threads between two cgo calls, so the thread stays locked from
// the operation to the read. Every fallible wrapper goes through call.
func call(op func() C.plexctl_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	status := op()
	if status == C.PLEXCTL_STATUS_OK {
		return nil
	}
	e := C.goplexctl_last_error()
	var plaintext []byte
	if e.plaintext != nil {
		plaintext = secretBytes(e.plaintext)
	}
	return &Error{
		Kind:          ErrorKind(e.kind),
		ExitCode:      int(status),
		Status:        int(e.http_status),
		Code:          goString(e.code),
		CorrelationID: goString(e.correlation_id),
		Message:       goString(e.message),
		Plaintext:     plaintext,
	}
}

// cstrings is the one way strings cross into C: the C copies of one call's arguments, released
// together by free. A Go string holding a NUL byte cannot cross (C would cut it short), so it is
// recorded as a usage error that call returns before the operation runs.
type cstrings struct {
	ptrs []unsafe.Pointer
	err  error
}

// str is s as a C string, valid until free.
func (a *cstrings) str(s string) *C.char {
	if strings.IndexByte(s, 0) >= 0 {
		if a.err == nil {
			a.err = usageError("an argument contains a NUL byte")
		}
		return nil
	}
	p := C.CString(s)
	a.ptrs = append(a.ptrs, unsafe.Pointer(p))
	return p
}

// opt is s as a C string, or NULL for "" (an optional argument left out).
func (a *cstrings) opt(s string) *C.char {
	if s == "" {
		return nil
	}
	return a.str(s)
}

// free releases every C string str made.
func (a *cstrings) free() {
	for _, p := range a.ptrs {
		C.free(p)
	}
	a.ptrs = nil
}

// call is call(op), unless an argument could not cross.
func (a *cstrings) call(op func() C.plexctl_status) error {
	if a.err != nil {
		return a.err
	}
	return call(op)
}

// goString is the way strings cross back: a borrowed C string copied into Go ("" for NULL).
func goString(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}

// secretBytes copies a library secret into a Go slice the caller owns and can wipe.
func secretBytes(s *C.plexctl_secret) []byte {
	n := C.plexctl_secret_len(s)
	return C.GoBytes(unsafe.Pointer(C.plexctl_secret_expose(s)), C.int(n))
}

// bytesArg passes a secret input as (pointer, length); the library copies it at once. nil is
// NULL (not given); an empty non-nil slice is an empty secret.
func bytesArg(b []byte) (*C.uint8_t, C.size_t) {
	if b == nil {
		return nil, 0
	}
	if len(b) == 0 {
		b = []byte{0}
		return (*C.uint8_t)(unsafe.Pointer(&b[0])), 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// millis converts a duration to whole milliseconds, rounding up so a positive duration never
// becomes 0.
func millis(d time.Duration) C.uint64_t {
	return C.uint64_t((d + time.Millisecond - 1) / time.Millisecond)
}

// withContext is the one way a call honours its context: it runs f on h (a handle pointer), or on
// a handle derived from h whose timeout is what is left of ctx's deadline, freed after the call.
//
//   - A nil ctx is a usage error; a ctx already done (or whose deadline has passed) returns
//     doneError at once, before anything is sent.
//   - A deadline sooner than own (the handle's timeout) becomes the call's timeout: derive(ms, &out)
//     makes the handle, free releases it. A later deadline, or none, leaves own in force.
//   - An error the library returns because ctx ended is linked to ctx's error (see fromContext).
func withContext[P any](ctx context.Context, own time.Duration, h P,
	derive func(ms C.uint64_t, out *P) C.plexctl_status, free func(P), f func(P) error) error {
	if ctx == nil {
		return usageError("ctx must not be nil (use context.Background())")
	}
	if contextErr(ctx) != nil {
		return doneError(ctx)
	}
	if deadline, ok := ctx.Deadline(); ok {
		if left := time.Until(deadline); left < own {
			var d P
			if err := call(func() C.plexctl_status { return derive(millis(left), &d) }); err != nil {
				return err
			}
			defer free(d)
			h = d
		}
	}
	return fromContext(ctx, f(h))
}

// contextErr is ctx's error, or context.DeadlineExceeded once its deadline has passed even if
// its timer has not fired yet; nil while ctx is live.
func contextErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if deadline, ok := ctx.Deadline(); ok && !time.Now().Before(deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// contextCause is what an *Error that ctx ended unwraps to: ctx's error, joined with the cause
// given to context.WithCancelCause / WithDeadlineCause when there is one, so errors.Is finds both.
func contextCause(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil && cause != err {
		return errors.Join(err, cause)
	}
	return err
}

// contextKind is the kind of an error ctx caused: ErrorKindTimeout for a deadline,
// ErrorKindCancelled for a cancellation.
func contextKind(err error) ErrorKind {
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrorKindTimeout
	}
	return ErrorKindCancelled
}

// doneError is the error of a call whose ctx was done before it started: nothing was sent.
func doneError(ctx context.Context) *Error {
	err := contextErr(ctx)
	e := &Error{Kind: contextKind(err), ExitCode: ExitRuntime, cause: contextCause(ctx, err)}
	if e.Kind == ErrorKindTimeout {
		e.Message = "timed out: the context's deadline passed before the call started; nothing was sent"
	} else {
		e.Message = "cancelled: the context was cancelled before the call started; nothing was sent"
	}
	return e
}

// fromContext links an error ctx caused to ctx's error: a timeout once ctx's deadline has passed
// (the call ran on what was left of it), or a login the cancel check stopped because ctx was
// done, which a deadline makes ErrorKindTimeout, as it does a call it stops before the start.
// Any other error is returned as it is.
func fromContext(ctx context.Context, err error) error {
	var e *Error
	if !errors.As(err, &e) || (e.Kind != ErrorKindTimeout && e.Kind != ErrorKindCancelled) {
		return err
	}
	cerr := contextErr(ctx)
	if cerr == nil || (e.Kind == ErrorKindTimeout && contextKind(cerr) != ErrorKindTimeout) {
		return err // the client's own timeout, or a timeout that merely coincided with a cancel
	}
	if e.Kind == ErrorKindCancelled && contextKind(cerr) == ErrorKindTimeout {
		e.Kind = ErrorKindTimeout
		e.Message += " (the context's deadline passed)"
	}
	e.cause = contextCause(ctx, cerr)
	return err
}

// Wipe overwrites a secret with zeros.
func Wipe(secret []byte) { clear(secret) }

// Options configure a Client. Empty fields fall back to the environment (PLEXSPHERE_URL,
// PLEXSPHERE_TOKEN, PLEXCTL_CONFIG) and the config file's profile, as the library resolves them.
type Options struct {
	Server         string
	Token          []byte // copied by the library at once; wipe yours when you like
	TokenFile      string
	Profile        string
	ConfigPath     string
	CABundleFile   string        // PEM file of extra CA certificates
	Timeout        time.Duration // overall deadline of one call; 0 for the default (30 s)
	ConnectTimeout time.Duration // 0 for the default (10 s)
	// Retries after a failed first attempt, within Timeout: 0 for the default (2), negative for
	// none. Only what is safe is retried (see plexctl_client_builder_set_retries).
	Retries int
	// Proxy sends HTTPS requests through this proxy URL instead of the one HTTPS_PROXY names;
	// NoProxy uses none. Only https:// is proxied (a CONNECT tunnel), never loopback.
	Proxy             string
	NoProxy           bool
	NoEnvironment     bool
	AllowInsecureHTTP bool
}

// Client is a plexsphere client: one connection pool. It is safe for concurrent use.
type Client struct {
	mu      sync.RWMutex
	c       *C.plexctl_client
	timeout time.Duration // the deadline of one call: Options.Timeout, or the library's default
	closed  bool
	sources atomic.Int64 // open token sources sharing c
	cleanup runtime.Cleanup
}

// New builds a client.
func New(opts Options) (*Client, error) {
	b := C.plexctl_client_builder_new()
	var a cstrings
	defer a.free()
	var err error
	set := func(op func() C.plexctl_status) {
		if err == nil {
			err = a.call(op)
		}
	}
	if opts.Server != "" {
		p := a.str(opts.Server)
		set(func() C.plexctl_status { return C.plexctl_client_builder_set_server(b, p) })
	}
	if opts.Token != nil {
		ptr, n := bytesArg(opts.Token)
		set(func() C.plexctl_status { return C.plexctl_client_builder_set_token(b, ptr, n) })
		runtime.KeepAlive(opts.Token)
	}
	if opts.TokenFile != "" {
		p := a.str(opts.TokenFile)
		set(func() C.plexctl_status { return C.plexctl_client_builder_set_token_file(b, p) })
	}
	if opts.Profile != "" {
		p := a.str(opts.Profile)
		set(func() C.plexctl_status { return C.plexctl_client_builder_set_profile(b, p) })
	}
	if opts.ConfigPath != "" {
		p := a.str(opts.ConfigPath)
		set(func() C.plexctl_status { return C.plexctl_client_builder_set_config_path(b, p) })
	}
	if opts.CABundleFile != "" {
		p := a.str(opts.CABundleFile)
		set(func() C.plexctl_status { return C.plexctl_client_builder_set_ca_bundle_file(b, p) })
	}
	if opts.Timeout > 0 {
		set(func() C.plexctl_status { return C.plexctl_client_builder_set_timeout_ms(b, millis(opts.Timeout)) })
	}
	if opts.Proxy != "" {
		proxy := a.str(opts.Proxy)
		set(func() C.plexctl_status { return C.plexctl_client_builder_set_proxy(b, proxy) })
	}
	if opts.NoProxy {
		set(func() C.plexctl_status { return C.plexctl_client_builder_set_no_proxy(b) })
	}
	if opts.Retries != 0 {
		retries := C.uint32_t(0)
		if opts.Retries > 0 {
			retries = C.uint32_t(opts.Retries)
		}
		set(func() C.plexctl_status { return C.plexctl_client_builder_set_retries(b, retries) })
	}
	if opts.ConnectTimeout > 0 {
		set(func() C.plexctl_status {
			return C.plexctl_client_builder_set_connect_timeout_ms(b, millis(opts.ConnectTimeout))
		})
	}
	set(func() C.plexctl_status {
		return C.plexctl_client_builder_set_use_environment(b, C.bool(!opts.NoEnvironment))
	})
	set(func() C.plexctl_status {
		return C.plexctl_client_builder_set_allow_insecure_http(b, C.bool(opts.AllowInsecureHTTP))
	})
	if err != nil {
		C.plexctl_client_builder_free(b)
		return nil, err
	}
	var c *C.plexctl_client
	if err := call(func() C.plexctl_status { return C.plexctl_client_builder_build(b, &c) }); err != nil {
		return nil, err // build consumed the builder
	}
	client := &Client{c: c, timeout: time.Duration(C.plexctl_client_timeout_ms(c)) * time.Millisecond}
	// A backstop for a forgotten Close; Close is the contract.
	client.cleanup = runtime.AddCleanup(client, func(p *C.plexctl_client) { C.plexctl_client_free(p) }, c)
	return client, nil
}

// Close releases the client. It is idempotent and waits for calls in flight; later calls fail
// with a usage error. Token sources made from the client keep working until they are closed: the
// C handle is freed with the last of them, as the header asks (sources before their client).
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	c.cleanup.Stop()
	if c.sources.Load() == 0 {
		C.plexctl_client_free(c.c)
		c.c = nil
	}
	return nil
}

// release is called once by each token source as it is freed.
func (c *Client) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sources.Add(-1) == 0 && c.closed && c.c != nil {
		C.plexctl_client_free(c.c)
		c.c = nil
	}
}

// use runs f with the live handle under ctx (see withContext), or fails with a usage error after
// Close.
func (c *Client) use(ctx context.Context, f func(*C.plexctl_client) error) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return usageError("the client is closed")
	}
	err := withContext(ctx, c.timeout, c.c, func(ms C.uint64_t, out **C.plexctl_client) C.plexctl_status {
		return C.plexctl_client_with_timeout(c.c, ms, out)
	}, func(h *C.plexctl_client) { C.plexctl_client_free(h) }, f)
	runtime.KeepAlive(c)
	return err
}

// Token is an issued or rotated token. Plaintext is shown exactly once: wipe it when done.
type Token struct {
	ID               string
	Plaintext        []byte
	EnvPrefix        string
	ExpiresAt        string // RFC 3339
	RotationDeadline string // RFC 3339; rotated tokens only: until when the old plaintext works
	Sunset           string // RFC 3339; rotated tokens only: the Sunset header, "" when absent
	SunsetAgrees     bool   // rotated tokens only: Sunset names the same second as RotationDeadline
}

// token copies a token out of the library and frees (wipes) the library's copy.
func token(t *C.plexctl_token) *Token {
	defer C.plexctl_token_free(t)
	return &Token{
		ID:               goString(C.plexctl_token_id(t)),
		Plaintext:        secretBytes(C.plexctl_token_plaintext(t)),
		EnvPrefix:        goString(C.plexctl_token_env_prefix(t)),
		ExpiresAt:        goString(C.plexctl_token_expires_at(t)),
		RotationDeadline: goString(C.plexctl_token_rotation_deadline(t)),
		Sunset:           goString(C.plexctl_token_sunset(t)),
		SunsetAgrees:     bool(C.plexctl_token_sunset_agrees(t)),
	}
}

// IssueToken issues a token for identityRef ("user:<uuid>" or "service:<uuid>") in envPrefix
// ("dev", "stage", "prod"); ttl is a duration such as "24h", or "" for the server's default.
func (c *Client) IssueToken(ctx context.Context, identityRef, envPrefix, ttl string) (*Token, error) {
	var out *Token
	err := c.use(ctx, func(h *C.plexctl_client) error {
		var a cstrings
		defer a.free()
		ref, env, cttl := a.str(identityRef), a.str(envPrefix), a.opt(ttl)
		var t *C.plexctl_token
		if err := a.call(func() C.plexctl_status { return C.plexctl_issue_token(h, ref, env, cttl, &t) }); err != nil {
			return err
		}
		out = token(t)
		return nil
	})
	return out, err
}

// RotateToken rotates a token; the old plaintext works until RotationDeadline.
func (c *Client) RotateToken(ctx context.Context, id string) (*Token, error) {
	var out *Token
	err := c.use(ctx, func(h *C.plexctl_client) error {
		var a cstrings
		defer a.free()
		cid := a.str(id)
		var t *C.plexctl_token
		if err := a.call(func() C.plexctl_status { return C.plexctl_rotate_token(h, cid, &t) }); err != nil {
			return err
		}
		out = token(t)
		return nil
	})
	return out, err
}

// DeleteToken revokes a token at once.
func (c *Client) DeleteToken(ctx context.Context, id string) error {
	return c.use(ctx, func(h *C.plexctl_client) error {
		var a cstrings
		defer a.free()
		cid := a.str(id)
		return a.call(func() C.plexctl_status { return C.plexctl_delete_token(h, cid) })
	})
}

// TokenSummary is a token as listed: never a plaintext. Dates are RFC 3339; LastUsedAt and
// RotatedAt are "" when it never happened.
type TokenSummary struct {
	ID, EnvPrefix, CreatedAt, ExpiresAt, LastUsedAt, RotatedAt string
}

// ListTokens lists the caller's tokens.
func (c *Client) ListTokens(ctx context.Context) ([]TokenSummary, error) {
	var out []TokenSummary
	err := c.use(ctx, func(h *C.plexctl_client) error {
		var l *C.plexctl_token_list
		if err := call(func() C.plexctl_status { return C.plexctl_list_tokens(h, &l) }); err != nil {
			return err
		}
		defer C.plexctl_token_list_free(l)
		n := int(C.plexctl_token_list_len(l))
		out = make([]TokenSummary, 0, n)
		for i := range n {
			out = append(out, tokenSummary(C.plexctl_token_list_get(l, C.size_t(i))))
		}
		return nil
	})
	return out, err
}

// tokenSummary copies a summary out of the library (its list or status keeps ownership).
func tokenSummary(s *C.plexctl_token_summary) TokenSummary {
	return TokenSummary{
		ID:         goString(C.plexctl_token_summary_id(s)),
		EnvPrefix:  goString(C.plexctl_token_summary_env_prefix(s)),
		CreatedAt:  goString(C.plexctl_token_summary_created_at(s)),
		ExpiresAt:  goString(C.plexctl_token_summary_expires_at(s)),
		LastUsedAt: goString(C.plexctl_token_summary_last_used_at(s)),
		RotatedAt:  goString(C.plexctl_token_summary_rotated_at(s)),
	}
}

// ServiceToken is a minted service access token; wipe AccessToken when done.
type ServiceToken struct {
	AccessToken []byte
	TokenType   string
	ExpiresIn   time.Duration
	ExpiresAt   string // RFC 3339, computed on receipt from ExpiresIn
	Scope       string // "" when none was granted
}

// grantArgs are the arguments of a service-token grant, as C sees them.
type grantArgs struct {
	id, grant, scope *C.char
	sp, ap           *C.uint8_t
	sn, an           C.size_t
}

func newGrantArgs(a *cstrings, clientID, grantType string, secret, assertion []byte, scope string) grantArgs {
	g := grantArgs{id: a.str(clientID), grant: a.str(grantType), scope: a.opt(scope)}
	g.sp, g.sn = bytesArg(secret)
	g.ap, g.an = bytesArg(assertion)
	return g
}

// MintServiceToken performs a service-token grant: grantType "client_credentials" with secret, or
// "urn:ietf:params:oauth:grant-type:jwt-bearer" with assertion (pass nil for the other); scope
// may be "".
func (c *Client) MintServiceToken(ctx context.Context, clientID, grantType string, secret, assertion []byte, scope string) (*ServiceToken, error) {
	var out *ServiceToken
	err := c.use(ctx, func(h *C.plexctl_client) error {
		var a cstrings
		defer a.free()
		g := newGrantArgs(&a, clientID, grantType, secret, assertion, scope)
		var t *C.plexctl_service_token
		err := a.call(func() C.plexctl_status {
			return C.plexctl_mint_service_token(h, g.id, g.grant, g.sp, g.sn, g.ap, g.an, g.scope, &t)
		})
		runtime.KeepAlive(secret)
		runtime.KeepAlive(assertion)
		if err != nil {
			return err
		}
		defer C.plexctl_service_token_free(t)
		out = &ServiceToken{
			AccessToken: secretBytes(C.plexctl_service_token_access_token(t)),
			TokenType:   goString(C.plexctl_service_token_token_type(t)),
			ExpiresIn:   time.Duration(C.plexctl_service_token_expires_in(t)) * time.Second,
			Scope:       goString(C.plexctl_service_token_scope(t)),
			ExpiresAt:   goString(C.plexctl_service_token_expires_at(t)),
		}
		return nil
	})
	return out, err
}

// TokenSource holds one service access token and mints a new one shortly before it expires. It
// is safe for concurrent use (one caller mints, the others wait for it). Close releases it.
type TokenSource struct {
	mu      sync.RWMutex
	s       *C.plexctl_token_source
	client  *Client
	cleanup runtime.Cleanup
}

// tokenSourceHandles is what a forgotten TokenSource's cleanup frees; it must not reach the
// TokenSource itself.
type tokenSourceHandles struct {
	s      *C.plexctl_token_source
	client *Client
}

// NewTokenSource makes a token source for a service-token grant (arguments as MintServiceToken).
// Nothing is minted yet; input errors are reported now, before anything is sent. The source
// shares the client's connection pool and keeps it alive until the source is closed.
func (c *Client) NewTokenSource(clientID, grantType string, secret, assertion []byte, scope string) (*TokenSource, error) {
	var out *TokenSource
	err := c.use(context.Background(), func(h *C.plexctl_client) error {
		var a cstrings
		defer a.free()
		g := newGrantArgs(&a, clientID, grantType, secret, assertion, scope)
		var s *C.plexctl_token_source
		err := a.call(func() C.plexctl_status {
			return C.plexctl_token_source_new(h, g.id, g.grant, g.sp, g.sn, g.ap, g.an, g.scope, &s)
		})
		runtime.KeepAlive(secret)
		runtime.KeepAlive(assertion)
		if err != nil {
			return err
		}
		c.sources.Add(1) // under the read lock: Close cannot run meanwhile
		out = &TokenSource{s: s, client: c}
		out.cleanup = runtime.AddCleanup(out, func(h tokenSourceHandles) {
			C.plexctl_token_source_free(h.s)
			h.client.release()
		}, tokenSourceHandles{s, c})
		return nil
	})
	return out, err
}

// use runs f with the live handle under ctx (see withContext), or fails with a usage error after
// Close.
func (s *TokenSource) use(ctx context.Context, f func(*C.plexctl_token_source) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.s == nil {
		return usageError("the token source is closed")
	}
	err := withContext(ctx, s.client.timeout, s.s, func(ms C.uint64_t, out **C.plexctl_token_source) C.plexctl_status {
		return C.plexctl_token_source_with_timeout(s.s, ms, out)
	}, func(h *C.plexctl_token_source) { C.plexctl_token_source_free(h) }, f)
	runtime.KeepAlive(s)
	return err
}

// Token returns a valid access token (the caller's copy: wipe it when done), minting one when
// none is cached or the cached one is about to expire. A mint runs within ctx's deadline as any
// call does (on a source handle derived for it, plexctl_token_source_with_timeout); a cached token
// is returned without a request. While another goroutine is minting and no unexpired token is
// cached, Token waits for that mint, which is bounded by its own caller's deadline, not by ctx's.
func (s *TokenSource) Token(ctx context.Context) ([]byte, error) {
	var out []byte
	err := s.use(ctx, func(h *C.plexctl_token_source) error {
		var secret *C.plexctl_secret
		if err := call(func() C.plexctl_status { return C.plexctl_token_source_token(h, &secret) }); err != nil {
			return err
		}
		defer C.plexctl_secret_free(secret)
		out = secretBytes(secret)
		return nil
	})
	return out, err
}

// Invalidate forgets the cached token, so the next Token mints (e.g. after a 401).
func (s *TokenSource) Invalidate() error {
	return s.use(context.Background(), func(h *C.plexctl_token_source) error {
		return call(func() C.plexctl_status { return C.plexctl_token_source_invalidate(h) })
	})
}

// Close releases the source and wipes its cached token. It is idempotent and waits for calls in
// flight.
func (s *TokenSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s != nil {
		s.cleanup.Stop()
		C.plexctl_token_source_free(s.s)
		s.s = nil
		s.client.release()
	}
	return nil
}

// RotationTrigger is the handle of a triggered (or already pending) mesh-key rotation. Fields the
// server did not send are "".
type RotationTrigger struct {
	RotationID, PeerID, NodeID, State, RequestedAt string
	AlreadyPending                                 bool
}

// RotateNodeKeys triggers a mesh-key rotation; an already pending one is success.
func (c *Client) RotateNodeKeys(ctx context.Context, nodeID string) (*RotationTrigger, error) {
	var out *RotationTrigger
	err := c.use(ctx, func(h *C.plexctl_client) error {
		var a cstrings
		defer a.free()
		id := a.str(nodeID)
		var t *C.plexctl_rotation_trigger
		if err := a.call(func() C.plexctl_status { return C.plexctl_rotate_node_keys(h, id, &t) }); err != nil {
			return err
		}
		defer C.plexctl_rotation_trigger_free(t)
		out = &RotationTrigger{
			RotationID:     goString(C.plexctl_rotation_trigger_rotation_id(t)),
			PeerID:         goString(C.plexctl_rotation_trigger_peer_id(t)),
			NodeID:         goString(C.plexctl_rotation_trigger_node_id(t)),
			State:          goString(C.plexctl_rotation_trigger_state(t)),
			RequestedAt:    goString(C.plexctl_rotation_trigger_requested_at(t)),
			AlreadyPending: bool(C.plexctl_rotation_trigger_already_pending(t)),
		}
		return nil
	})
	return out, err
}

// RotationImpactEdge is a peer edge a rotation would re-key.
type RotationImpactEdge struct {
	PeerNodeID            string
	CurrentKID            string
	CurrentWrapKeyVersion int64
}

// RotationPreview is the impact a rotation would have.
type RotationPreview struct {
	NodeID, PeerID           string
	AffectedPeerCount        uint64
	AffectedEdges            []RotationImpactEdge
	AlreadyPending           bool
	EstimatedDurationSeconds uint64 // a hint, not a promise
}

// PreviewNodeKeyRotation fetches the impact of a rotation without recording one.
func (c *Client) PreviewNodeKeyRotation(ctx context.Context, nodeID string) (*RotationPreview, error) {
	var out *RotationPreview
	err := c.use(ctx, func(h *C.plexctl_client) error {
		var a cstrings
		defer a.free()
		id := a.str(nodeID)
		var p *C.plexctl_rotation_preview
		if err := a.call(func() C.plexctl_status { return C.plexctl_preview_node_key_rotation(h, id, &p) }); err != nil {
			return err
		}
		defer C.plexctl_rotation_preview_free(p)
		out = &RotationPreview{
			NodeID:                   goString(C.plexctl_rotation_preview_node_id(p)),
			PeerID:                   goString(C.plexctl_rotation_preview_peer_id(p)),
			AffectedPeerCount:        uint64(C.plexctl_rotation_preview_affected_peer_count(p)),
			AlreadyPending:           bool(C.plexctl_rotation_preview_already_pending(p)),
			EstimatedDurationSeconds: uint64(C.plexctl_rotation_preview_estimated_duration_seconds(p)),
		}
		n := int(C.plexctl_rotation_preview_affected_edges_len(p))
		out.AffectedEdges = make([]RotationImpactEdge, 0, n)
		for i := range n {
			e := C.plexctl_rotation_preview_affected_edges_get(p, C.size_t(i))
			out.AffectedEdges = append(out.AffectedEdges, RotationImpactEdge{
				PeerNodeID:            goString(C.plexctl_rotation_impact_edge_peer_node_id(e)),
				CurrentKID:            goString(C.plexctl_rotation_impact_edge_current_kid(e)),
				CurrentWrapKeyVersion: int64(C.plexctl_rotation_impact_edge_current_wrap_key_version(e)),
			})
		}
		return nil
	})
	return out, err
}

// StoreSession saves server and token under profile in the config file (what a login calls),
// making it the default when makeDefault is true or there is no default yet.
func (c *Client) StoreSession(profile, server string, token []byte, makeDefault bool) error {
	return c.use(context.Background(), func(h *C.plexctl_client) error {
		var a cstrings
		defer a.free()
		p, s := a.str(profile), a.str(server)
		tp, tn := bytesArg(token)
		err := a.call(func() C.plexctl_status { return C.plexctl_store_session(h, p, s, tp, tn, C.bool(makeDefault)) })
		runtime.KeepAlive(token)
		return err
	})
}

// RotateSession rotates the token the active profile holds and writes the new plaintext into the
// profile before returning.
//
// When the rotation succeeded but the profile could not be written, it returns both the rotated
// token and an *Error with Kind ErrorKindSessionNotSaved: the new plaintext is not lost (store it
// yourself), and the old one keeps working until RotationDeadline.
func (c *Client) RotateSession(ctx context.Context) (*Token, error) {
	var out *Token
	err := c.use(ctx, func(h *C.plexctl_client) error {
		var t *C.plexctl_token
		err := call(func() C.plexctl_status { return C.plexctl_rotate_session(h, &t) })
		if t != nil { // set on success, and on session_not_saved
			out = token(t)
		}
		return err
	})
	return out, err
}

// LogoutOutcome is what Logout did.
type LogoutOutcome struct {
	Profile, Server string // "" when there was no active session
	Revoked         bool   // false: already gone, or no session
	Text, JSON      string // the line plexctl prints; the JSON summary
}

// Logout revokes the active profile's token and clears the profile; no session is a no-op.
func (c *Client) Logout(ctx context.Context) (*LogoutOutcome, error) {
	var out *LogoutOutcome
	err := c.use(ctx, func(h *C.plexctl_client) error {
		var o *C.plexctl_logout_outcome
		if err := call(func() C.plexctl_status { return C.plexctl_logout(h, &o) }); err != nil {
			return err
		}
		defer C.plexctl_logout_outcome_free(o)
		out = &LogoutOutcome{
			Profile: goString(C.plexctl_logout_outcome_profile(o)),
			Server:  goString(C.plexctl_logout_outcome_server(o)),
			Revoked: bool(C.plexctl_logout_outcome_revoked(o)),
			Text:    goString(C.plexctl_logout_outcome_text(o)),
			JSON:    goString(C.plexctl_logout_outcome_json(o)),
		}
		return nil
	})
	return out, err
}

// DeviceAuthorization is a started device login: what to show the user. The device code it polls
// with stays inside the library (never a Go value) and is wiped by Close.
type DeviceAuthorization struct {
	UserCode                string        // the code the user enters (letters, digits, dashes)
	VerificationURI         string        // the page where the user enters it
	VerificationURIComplete string        // the same page with the code filled in (for a QR code)
	ExpiresIn               time.Duration // the code's lifetime, as the server gave it
	Interval                time.Duration // the minimum time between polls, as the server gave it
	ExpiresAt               string        // RFC 3339, computed on receipt
	Text                    string        // the lines a command-line program shows
	h                       *authHandle   // nil for the copy lent to LoginOptions.OnCode
}

// authHandle owns a started login's C handle; copies of a DeviceAuthorization share it.
type authHandle struct {
	mu      sync.RWMutex
	p       *C.plexctl_device_authorization
	cleanup runtime.Cleanup
}

// deviceAuthorization copies what to show out of a C authorization (which keeps its device code).
func deviceAuthorization(a *C.plexctl_device_authorization) *DeviceAuthorization {
	return &DeviceAuthorization{
		UserCode:                goString(C.plexctl_device_authorization_user_code(a)),
		VerificationURI:         goString(C.plexctl_device_authorization_verification_uri(a)),
		VerificationURIComplete: goString(C.plexctl_device_authorization_verification_uri_complete(a)),
		ExpiresIn:               time.Duration(C.plexctl_device_authorization_expires_in(a)) * time.Second,
		Interval:                time.Duration(C.plexctl_device_authorization_interval(a)) * time.Second,
		ExpiresAt:               goString(C.plexctl_device_authorization_expires_at(a)),
		Text:                    goString(C.plexctl_device_authorization_text(a)),
	}
}

// Close wipes and releases the device code of a login started with StartDeviceLogin. It is
// idempotent and waits for a CompleteDeviceLogin in flight; a later CompleteDeviceLogin fails with
// a usage error.
func (a *DeviceAuthorization) Close() error {
	if a == nil || a.h == nil {
		return nil
	}
	a.h.mu.Lock()
	defer a.h.mu.Unlock()
	if a.h.p != nil {
		a.h.cleanup.Stop()
		C.plexctl_device_authorization_free(a.h.p)
		a.h.p = nil
	}
	return nil
}

// LoginOutcome is what a completed login stored.
type LoginOutcome struct {
	Profile   string // the profile that now holds the session
	Server    string // the server it authenticates to
	TokenID   string // the session token's id; "" when it is not a psk
	ExpiresAt string // RFC 3339
	Text      string // the line plexctl prints
}

// loginOutcome copies an outcome out of the library and frees it.
func loginOutcome(o *C.plexctl_login_outcome) *LoginOutcome {
	defer C.plexctl_login_outcome_free(o)
	return &LoginOutcome{
		Profile:   goString(C.plexctl_login_outcome_profile(o)),
		Server:    goString(C.plexctl_login_outcome_server(o)),
		TokenID:   goString(C.plexctl_login_outcome_token_id(o)),
		ExpiresAt: goString(C.plexctl_login_outcome_expires_at(o)),
		Text:      goString(C.plexctl_login_outcome_text(o)),
	}
}

// LoginOptions configure Login.
type LoginOptions struct {
	Profile     string // the config-file profile that will hold the session; required
	MakeDefault bool   // make it the file's default (it becomes one anyway when there is none)
	// The IdP binding, by id or by alias (not both); both "" for the Domain's primary or only one.
	IdPBindingID, IdPBindingAlias string
	// OnCode is called once, before the first poll, with what to show the user; required. It runs
	// on the goroutine that called Login, must not call the Client's methods or runtime.Goexit
	// (t.FailNow), and a panic in it stops the login and is raised again from Login.
	OnCode func(*DeviceAuthorization)
}

// loginState is what the C callbacks reach through their cgo.Handle: the login's context and
// OnCode, and a panic OnCode raised (it cannot unwind through the library's C frames).
type loginState struct {
	ctx      context.Context
	onCode   func(*DeviceAuthorization)
	panicked bool
	panicVal any
}

// showCode lends OnCode a copy of what to show; a panic is kept, and stops the login.
func (s *loginState) showCode(a *C.plexctl_device_authorization) {
	defer func() {
		if r := recover(); r != nil {
			s.panicked, s.panicVal = true, r
		}
	}()
	s.onCode(deviceAuthorization(a))
}

// cancelled is the library's cancel check: the context is done, or OnCode panicked.
func (s *loginState) cancelled() bool { return s.panicked || s.ctx.Err() != nil }

// run calls op with a handle on s, then raises again a panic OnCode raised. (Client.use checks
// the context and links a cancellation to the context error that caused it.)
func (s *loginState) run(op func(state C.uintptr_t) error) error {
	h := cgo.NewHandle(s)
	err := op(C.uintptr_t(h))
	h.Delete()
	if s.panicked {
		panic(s.panicVal)
	}
	return err
}

// Login logs in with a device code: it starts the login, hands what to show the user to
// opts.OnCode, then polls (blocking, at the server's interval) until the user approves it in a
// browser, and stores the session as opts.Profile of the config file.
//
// Cancelling ctx stops the wait within about 50 ms (a poll in flight finishes first, within the
// client's Timeout or what was left of ctx's deadline when the login began, whichever is
// sooner): the error is an *Error with Kind ErrorKindCancelled, or ErrorKindTimeout when the
// deadline passed, that wraps the context's error. A ctx already done sends nothing. A denial is ErrorKindAccessDenied (ExitDenied), an expired code
// ErrorKindLoginExpired; a login approved but not saved is ErrorKindSessionNotSaved with the
// session token in Error.Plaintext.
func (c *Client) Login(ctx context.Context, domainID string, opts LoginOptions) (*LoginOutcome, error) {
	state := &loginState{ctx: ctx, onCode: opts.OnCode}
	var out *LoginOutcome
	err := state.run(func(st C.uintptr_t) error {
		return c.use(ctx, func(h *C.plexctl_client) error {
			var a cstrings
			defer a.free()
			d, id, alias, p := a.str(domainID), a.opt(opts.IdPBindingID), a.opt(opts.IdPBindingAlias), a.str(opts.Profile)
			show := C.bool(opts.OnCode != nil)
			var o *C.plexctl_login_outcome
			if err := a.call(func() C.plexctl_status {
				return C.goplexctl_login(h, d, id, alias, p, C.bool(opts.MakeDefault), show, st, &o)
			}); err != nil {
				return err
			}
			out = loginOutcome(o)
			return nil
		})
	})
	return out, err
}

// StartDeviceLogin starts a device login (no bearer token needed): show the result's Text (or its
// UserCode and VerificationURI) to the user, then call CompleteDeviceLogin, and Close it when done.
// idpBindingID or idpBindingAlias picks the IdP binding; both "" for the Domain's default.
func (c *Client) StartDeviceLogin(ctx context.Context, domainID, idpBindingID, idpBindingAlias string) (*DeviceAuthorization, error) {
	var out *DeviceAuthorization
	err := c.use(ctx, func(h *C.plexctl_client) error {
		var a cstrings
		defer a.free()
		d, id, alias := a.str(domainID), a.opt(idpBindingID), a.opt(idpBindingAlias)
		var p *C.plexctl_device_authorization
		if err := a.call(func() C.plexctl_status { return C.plexctl_start_device_login(h, d, id, alias, &p) }); err != nil {
			return err
		}
		out = deviceAuthorization(p)
		out.h = &authHandle{p: p}
		// A backstop for a forgotten Close; Close is the contract.
		out.h.cleanup = runtime.AddCleanup(out.h, func(p *C.plexctl_device_authorization) {
			C.plexctl_device_authorization_free(p)
		}, p)
		return nil
	})
	return out, err
}

// CompleteDeviceLogin polls a login StartDeviceLogin started until the user approves it, then
// stores the session as profile (made the default when makeDefault is true or there is none).
// Cancellation, denial, expiry and a failed save are reported as Login reports them.
func (c *Client) CompleteDeviceLogin(ctx context.Context, auth *DeviceAuthorization, profile string, makeDefault bool) (*LoginOutcome, error) {
	if auth == nil || auth.h == nil {
		return nil, usageError("auth: complete a login StartDeviceLogin returned (OnCode's copy cannot be completed)")
	}
	auth.h.mu.RLock()
	defer auth.h.mu.RUnlock()
	if auth.h.p == nil {
		return nil, usageError("the device authorization is closed")
	}
	state := &loginState{ctx: ctx}
	var out *LoginOutcome
	err := state.run(func(st C.uintptr_t) error {
		return c.use(ctx, func(h *C.plexctl_client) error {
			var a cstrings
			defer a.free()
			p := a.str(profile)
			var o *C.plexctl_login_outcome
			if err := a.call(func() C.plexctl_status {
				return C.goplexctl_complete_device_login(h, auth.h.p, p, C.bool(makeDefault), st, &o)
			}); err != nil {
				return err
			}
			out = loginOutcome(o)
			return nil
		})
	})
	runtime.KeepAlive(auth)
	return out, err
}

// Whoami is the principal a token authenticates as. Optional fields are "" when absent.
type Whoami struct {
	PrincipalType string   // "user" or "service"
	Subject       string   // the principal's identifier
	DomainID      string   // the Domain it belongs to
	Email         string   // the primary email, when the IdP supplied one
	Acr           string   // the Authentication Context Class Reference
	Amr           []string // the Authentication Methods References ("pwd", "mfa", ...)
	Text          string   // one line for people
}

// whoami copies a principal out of the library (its owner frees it).
func whoami(p *C.plexctl_principal) *Whoami {
	n := int(C.plexctl_principal_amr_len(p))
	amr := make([]string, 0, n)
	for i := range n {
		amr = append(amr, goString(C.plexctl_principal_amr_get(p, C.size_t(i))))
	}
	return &Whoami{
		PrincipalType: goString(C.plexctl_principal_principal_type(p)),
		Subject:       goString(C.plexctl_principal_subject(p)),
		DomainID:      goString(C.plexctl_principal_domain_id(p)),
		Email:         goString(C.plexctl_principal_email(p)),
		Acr:           goString(C.plexctl_principal_acr(p)),
		Amr:           amr,
		Text:          goString(C.plexctl_principal_text(p)),
	}
}

// Whoami asks who the client's token authenticates as. A missing token is ErrorKindMissingCredentials
// and a rejected one an ErrorKindAPI with Status 401; Status reports both as states instead.
func (c *Client) Whoami(ctx context.Context) (*Whoami, error) {
	var out *Whoami
	err := c.use(ctx, func(h *C.plexctl_client) error {
		var p *C.plexctl_principal
		if err := call(func() C.plexctl_status { return C.plexctl_whoami(h, &p) }); err != nil {
			return err
		}
		defer C.plexctl_principal_free(p)
		out = whoami(p)
		return nil
	})
	return out, err
}

// Status is what a user can print about the current credentials (`plexctl auth status`).
type Status struct {
	Server           string        // the resolved server; "" when none was
	CredentialSource string        // "explicit", "token_file", "environment", "profile" or "none"
	Profile          string        // the profile the token came from; "" when not from one
	State            string        // "authenticated", "no_credentials" or "rejected"
	Principal        *Whoami       // who the token authenticates as; nil unless authenticated
	Token            *TokenSummary // the token's own summary; nil unless a psk the server lists
	Rejection        string        // why the server refused the token; "" unless rejected
	Text             string        // the lines plexctl prints
	JSON             string        // the JSON form
}

// Status finds the status of the client's credentials: no credential and a rejected token are
// states, not errors; only what keeps the status from being known (transport failures, an
// unexpected answer) is an error.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var out *Status
	err := c.use(ctx, func(h *C.plexctl_client) error {
		var s *C.plexctl_session_status
		if err := call(func() C.plexctl_status { return C.plexctl_auth_status(h, &s) }); err != nil {
			return err
		}
		defer C.plexctl_session_status_free(s)
		out = &Status{
			Server:           goString(C.plexctl_session_status_server(s)),
			CredentialSource: goString(C.plexctl_session_status_credential_source(s)),
			Profile:          goString(C.plexctl_session_status_profile(s)),
			State:            goString(C.plexctl_session_status_state(s)),
			Rejection:        goString(C.plexctl_session_status_rejection(s)),
			Text:             goString(C.plexctl_session_status_text(s)),
			JSON:             goString(C.plexctl_session_status_json(s)),
		}
		if p := C.plexctl_session_status_principal(s); p != nil {
			out.Principal = whoami(p)
		}
		if t := C.plexctl_session_status_token(s); t != nil {
			summary := tokenSummary(t)
			out.Token = &summary
		}
		return nil
	})
	return out, err
}
