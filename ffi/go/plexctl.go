// Package plexctl is the Go door of libplexctl: a cgo wrapper over its C ABI (include/plexctl.h),
// the client of the plexsphere v1 auth API.
//
// # Module path
//
// The module is example.invalid/libplexctl/ffi/go: the project's declared home (the Cargo
// workspace's repository, https://example.invalid/libplexctl) plus this directory, the layout Go
// expects for a module in a subdirectory of its repository. Releases are tagged ffi/go/vX.Y.Z in
// step with the library's version. The package name is plexctl:
//
//	import plexctl "example.invalid/libplexctl/ffi/go"
//
// When the project gets a real host, the module path changes with it (one line in go.mod).
//
// # Building
//
// The package links -lplexctl and includes plexctl.h. Inside this repository the header is found
// relative to the package; the library's location comes from the environment, e.g. after
// `cargo build -p plexctl-ffi`:
//
//	CGO_LDFLAGS="-L$TARGET/debug -Wl,-rpath,$TARGET/debug" go test ./...
//
// (tests/ffi.sh does exactly this). Outside the repository set CGO_CFLAGS=-I<dir of plexctl.h>
// as well, or install the library with scripts/install-ffi.sh.
//
// Errors are *Error values carrying the plexctl exit code, so a command can os.Exit(err.ExitCode).
// Secrets (token plaintexts, access tokens) are returned as []byte that the caller can wipe with
// Wipe or clear(); they never become Go strings, which cannot be wiped. The C library wipes its own
// copies when the result handles are freed, which this package does before returning.
package plexctl

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -lplexctl
#include <stdlib.h>
#include "plexctl.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// Exit codes of the plexctl taxonomy.
const (
	ExitOK          = 0
	ExitRuntime     = 1
	ExitUsage       = 2
	ExitCredentials = 3
	ExitDenied      = 4
	ExitRebacDenied = 77
)

// Error is a failure reported by libplexctl.
type Error struct {
	ExitCode      int    // the plexctl exit code: 1, 2, 3, 4 or 77
	Status        int    // the HTTP status, or 0 when there was no HTTP answer
	Code          string // the Problem code (e.g. "node_not_found"), or ""
	CorrelationID string // the PermissionDenied correlation id, or ""
	Message       string // never contains a secret
}

func (e *Error) Error() string {
	return fmt.Sprintf("plexctl: %s (exit code %d)", e.Message, e.ExitCode)
}

func goString(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}

// call runs one C operation and reads the thread-local last error on the same OS thread.
func call(f func() C.plexctl_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	status := f()
	if status == C.PLEXCTL_STATUS_OK {
		return nil
	}
	return &Error{
		ExitCode:      int(status),
		Status:        int(C.plexctl_last_error_http_status()),
		Code:          goString(C.plexctl_last_error_code()),
		CorrelationID: goString(C.plexctl_last_error_correlation_id()),
		Message:       goString(C.plexctl_last_error_message()),
	}
}

// cstr allocates a C string; the caller frees it with free.
func cstr(s string) *C.char { return C.CString(s) }

func free(p *C.char) { C.free(unsafe.Pointer(p)) }

// secretBytes copies a library secret into a Go slice the caller owns and can wipe.
func secretBytes(s *C.plexctl_secret) []byte {
	n := C.plexctl_secret_len(s)
	return C.GoBytes(unsafe.Pointer(C.plexctl_secret_expose(s)), C.int(n))
}

// bytesArg passes a secret input as (pointer, length); the library copies it at once.
func bytesArg(b []byte) (*C.uint8_t, C.size_t) {
	if b == nil {
		return nil, 0
	}
	if len(b) == 0 {
		// A non-NULL pointer with length 0: an empty secret, not an absent one.
		b = []byte{0}
		return (*C.uint8_t)(unsafe.Pointer(&b[0])), 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// Wipe overwrites a secret with zeros.
func Wipe(secret []byte) { clear(secret) }

// Options configure a Client. Empty fields fall back to the environment (PLEXSPHERE_URL,
// PLEXSPHERE_TOKEN) and the config file's profile, as the library resolves them.
type Options struct {
	Server            string
	Token             []byte
	TokenFile         string
	Profile           string
	ConfigPath        string
	Timeout           time.Duration
	NoEnvironment     bool
	AllowInsecureHTTP bool
}

// Client is a plexsphere client. It is safe for concurrent use; Close releases it.
type Client struct {
	mu      sync.RWMutex
	c       *C.plexctl_client
	cleanup runtime.Cleanup
}

// New builds a client.
func New(opts Options) (*Client, error) {
	b := C.plexctl_client_builder_new()
	set := func(f func() C.plexctl_status) error { return call(f) }
	var err error
	str := func(v string, f func(*C.plexctl_client_builder, *C.char) C.plexctl_status) {
		if err != nil || v == "" {
			return
		}
		p := cstr(v)
		defer free(p)
		err = set(func() C.plexctl_status { return f(b, p) })
	}
	str(opts.Server, func(b *C.plexctl_client_builder, p *C.char) C.plexctl_status {
		return C.plexctl_client_builder_set_server(b, p)
	})
	str(opts.TokenFile, func(b *C.plexctl_client_builder, p *C.char) C.plexctl_status {
		return C.plexctl_client_builder_set_token_file(b, p)
	})
	str(opts.Profile, func(b *C.plexctl_client_builder, p *C.char) C.plexctl_status {
		return C.plexctl_client_builder_set_profile(b, p)
	})
	str(opts.ConfigPath, func(b *C.plexctl_client_builder, p *C.char) C.plexctl_status {
		return C.plexctl_client_builder_set_config_path(b, p)
	})
	if err == nil && opts.Token != nil {
		ptr, n := bytesArg(opts.Token)
		err = set(func() C.plexctl_status { return C.plexctl_client_builder_set_token(b, ptr, n) })
		runtime.KeepAlive(opts.Token)
	}
	if err == nil && opts.Timeout > 0 {
		err = set(func() C.plexctl_status {
			return C.plexctl_client_builder_set_timeout_ms(b, C.uint64_t(opts.Timeout.Milliseconds()))
		})
	}
	if err == nil {
		err = set(func() C.plexctl_status {
			return C.plexctl_client_builder_set_use_environment(b, C.bool(!opts.NoEnvironment))
		})
	}
	if err == nil {
		err = set(func() C.plexctl_status {
			return C.plexctl_client_builder_set_allow_insecure_http(b, C.bool(opts.AllowInsecureHTTP))
		})
	}
	if err != nil {
		C.plexctl_client_builder_free(b)
		return nil, err
	}
	var c *C.plexctl_client
	if err := call(func() C.plexctl_status { return C.plexctl_client_builder_build(b, &c) }); err != nil {
		return nil, err
	}
	client := &Client{c: c}
	// A backstop for a forgotten Close; Close is the contract.
	client.cleanup = runtime.AddCleanup(client, func(p *C.plexctl_client) { C.plexctl_client_free(p) }, c)
	return client, nil
}

// Close frees the client. It is idempotent and waits for calls in flight.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c != nil {
		c.cleanup.Stop()
		C.plexctl_client_free(c.c)
		c.c = nil
	}
	return nil
}

// use runs f with the live handle, or fails with a usage error after Close.
func (c *Client) use(f func(*C.plexctl_client) error) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.c == nil {
		return &Error{ExitCode: ExitUsage, Message: "the client is closed"}
	}
	err := f(c.c)
	runtime.KeepAlive(c)
	return err
}

// Token is an issued or rotated token. Plaintext is shown exactly once: wipe it when done.
type Token struct {
	ID               string
	Plaintext        []byte
	EnvPrefix        string
	ExpiresAt        string // RFC 3339
	RotationDeadline string // RFC 3339; rotated tokens only
	SunsetAgrees     bool   // rotated tokens only
}

func token(t *C.plexctl_token) *Token {
	defer C.plexctl_token_free(t)
	return &Token{
		ID:               goString(C.plexctl_token_id(t)),
		Plaintext:        secretBytes(C.plexctl_token_plaintext(t)),
		EnvPrefix:        goString(C.plexctl_token_env_prefix(t)),
		ExpiresAt:        goString(C.plexctl_token_expires_at(t)),
		RotationDeadline: goString(C.plexctl_token_rotation_deadline(t)),
		SunsetAgrees:     bool(C.plexctl_token_sunset_agrees(t)),
	}
}

// IssueToken issues a token for identityRef ("user:<uuid>" or "service:<uuid>") in envPrefix
// ("dev", "stage", "prod"); ttl is a duration such as "24h", or "" for the server's default.
func (c *Client) IssueToken(identityRef, envPrefix, ttl string) (*Token, error) {
	var out *Token
	err := c.use(func(h *C.plexctl_client) error {
		ref, env := cstr(identityRef), cstr(envPrefix)
		defer free(ref)
		defer free(env)
		var cttl *C.char
		if ttl != "" {
			cttl = cstr(ttl)
			defer free(cttl)
		}
		var t *C.plexctl_token
		if err := call(func() C.plexctl_status { return C.plexctl_issue_token(h, ref, env, cttl, &t) }); err != nil {
			return err
		}
		out = token(t)
		return nil
	})
	return out, err
}

// RotateToken rotates a token; the old plaintext works until RotationDeadline.
func (c *Client) RotateToken(id string) (*Token, error) {
	var out *Token
	err := c.use(func(h *C.plexctl_client) error {
		cid := cstr(id)
		defer free(cid)
		var t *C.plexctl_token
		if err := call(func() C.plexctl_status { return C.plexctl_rotate_token(h, cid, &t) }); err != nil {
			return err
		}
		out = token(t)
		return nil
	})
	return out, err
}

// DeleteToken revokes a token at once.
func (c *Client) DeleteToken(id string) error {
	return c.use(func(h *C.plexctl_client) error {
		cid := cstr(id)
		defer free(cid)
		return call(func() C.plexctl_status { return C.plexctl_delete_token(h, cid) })
	})
}

// TokenSummary is a token as listed: never a plaintext.
type TokenSummary struct {
	ID, EnvPrefix, CreatedAt, ExpiresAt, LastUsedAt, RotatedAt string
}

// ListTokens lists the caller's tokens.
func (c *Client) ListTokens() ([]TokenSummary, error) {
	var out []TokenSummary
	err := c.use(func(h *C.plexctl_client) error {
		var l *C.plexctl_token_list
		if err := call(func() C.plexctl_status { return C.plexctl_list_tokens(h, &l) }); err != nil {
			return err
		}
		defer C.plexctl_token_list_free(l)
		n := int(C.plexctl_token_list_len(l))
		out = make([]TokenSummary, 0, n)
		for i := 0; i < n; i++ {
			s := C.plexctl_token_list_get(l, C.size_t(i))
			out = append(out, TokenSummary{
				ID:         goString(C.plexctl_token_summary_id(s)),
				EnvPrefix:  goString(C.plexctl_token_summary_env_prefix(s)),
				CreatedAt:  goString(C.plexctl_token_summary_created_at(s)),
				ExpiresAt:  goString(C.plexctl_token_summary_expires_at(s)),
				LastUsedAt: goString(C.plexctl_token_summary_last_used_at(s)),
				RotatedAt:  goString(C.plexctl_token_summary_rotated_at(s)),
			})
		}
		return nil
	})
	return out, err
}

// ServiceToken is a minted service access token; wipe AccessToken when done.
type ServiceToken struct {
	AccessToken []byte
	TokenType   string
	ExpiresIn   time.Duration
	Scope       string
}

// MintServiceToken performs a service-token grant: grantType "client_credentials" with secret, or
// "urn:ietf:params:oauth:grant-type:jwt-bearer" with assertion (pass nil for the other).
func (c *Client) MintServiceToken(clientID, grantType string, secret, assertion []byte, scope string) (*ServiceToken, error) {
	var out *ServiceToken
	err := c.use(func(h *C.plexctl_client) error {
		id, grant := cstr(clientID), cstr(grantType)
		defer free(id)
		defer free(grant)
		var cscope *C.char
		if scope != "" {
			cscope = cstr(scope)
			defer free(cscope)
		}
		sp, sn := bytesArg(secret)
		ap, an := bytesArg(assertion)
		var t *C.plexctl_service_token
		err := call(func() C.plexctl_status {
			return C.plexctl_mint_service_token(h, id, grant, sp, sn, ap, an, cscope, &t)
		})
		runtime.KeepAlive(secret)
		runtime.KeepAlive(assertion)
		if err != nil {
			return err
		}
		defer C.plexctl_service_token_free(t)
		out = &ServiceToken{
			AccessToken: secretBytes(C.plexctl_service_token_access_token(t)),
			TokenType:   goString(C.plexctl_service_token_type(t)),
			ExpiresIn:   time.Duration(C.plexctl_service_token_expires_in(t)) * time.Second,
			Scope:       goString(C.plexctl_service_token_scope(t)),
		}
		return nil
	})
	return out, err
}

// RotationTrigger is the handle of a triggered (or already pending) mesh-key rotation.
type RotationTrigger struct {
	RotationID, PeerID, NodeID, State, RequestedAt string
	AlreadyPending                                 bool
}

// RotateNodeKeys triggers a mesh-key rotation; an already pending one is success.
func (c *Client) RotateNodeKeys(nodeID string) (*RotationTrigger, error) {
	var out *RotationTrigger
	err := c.use(func(h *C.plexctl_client) error {
		id := cstr(nodeID)
		defer free(id)
		var t *C.plexctl_rotation_trigger
		if err := call(func() C.plexctl_status { return C.plexctl_rotate_node_keys(h, id, &t) }); err != nil {
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

// Edge is a peer edge a rotation would re-key.
type Edge struct {
	PeerNodeID            string
	CurrentKID            string
	CurrentWrapKeyVersion int64
}

// RotationPreview is the impact a rotation would have.
type RotationPreview struct {
	NodeID, PeerID    string
	AffectedPeerCount uint64
	AffectedEdges     []Edge
	AlreadyPending    bool
	EstimatedDuration time.Duration
}

// PreviewNodeKeyRotation fetches the impact of a rotation without recording one.
func (c *Client) PreviewNodeKeyRotation(nodeID string) (*RotationPreview, error) {
	var out *RotationPreview
	err := c.use(func(h *C.plexctl_client) error {
		id := cstr(nodeID)
		defer free(id)
		var p *C.plexctl_rotation_preview
		if err := call(func() C.plexctl_status { return C.plexctl_preview_node_key_rotation(h, id, &p) }); err != nil {
			return err
		}
		defer C.plexctl_rotation_preview_free(p)
		out = &RotationPreview{
			NodeID:            goString(C.plexctl_rotation_preview_node_id(p)),
			PeerID:            goString(C.plexctl_rotation_preview_peer_id(p)),
			AffectedPeerCount: uint64(C.plexctl_rotation_preview_affected_peer_count(p)),
			AlreadyPending:    bool(C.plexctl_rotation_preview_already_pending(p)),
			EstimatedDuration: time.Duration(C.plexctl_rotation_preview_estimated_duration_seconds(p)) * time.Second,
		}
		for i := 0; i < int(C.plexctl_rotation_preview_edges_len(p)); i++ {
			e := C.plexctl_rotation_preview_edges_get(p, C.size_t(i))
			out.AffectedEdges = append(out.AffectedEdges, Edge{
				PeerNodeID:            goString(C.plexctl_rotation_impact_edge_peer_node_id(e)),
				CurrentKID:            goString(C.plexctl_rotation_impact_edge_current_kid(e)),
				CurrentWrapKeyVersion: int64(C.plexctl_rotation_impact_edge_current_wrap_key_version(e)),
			})
		}
		return nil
	})
	return out, err
}

// StoreSession saves server and token under profile in the config file (what a login calls).
func (c *Client) StoreSession(profile, server string, token []byte, makeDefault bool) error {
	return c.use(func(h *C.plexctl_client) error {
		p, s := cstr(profile), cstr(server)
		defer free(p)
		defer free(s)
		tp, tn := bytesArg(token)
		err := call(func() C.plexctl_status { return C.plexctl_store_session(h, p, s, tp, tn, C.bool(makeDefault)) })
		runtime.KeepAlive(token)
		return err
	})
}

// LogoutOutcome is what Logout did.
type LogoutOutcome struct {
	Profile, Server string // "" when there was no active session
	Revoked         bool
	Text, JSON      string
}

// Logout revokes the active profile's token and clears the profile; no session is a no-op.
func (c *Client) Logout() (*LogoutOutcome, error) {
	var out *LogoutOutcome
	err := c.use(func(h *C.plexctl_client) error {
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
