package plexctl

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// A server whose rotate answer holds the new plaintext but a malformed date: the token is live on
// the server, so the failure must hand the plaintext over.
func TestAMalformedRotateAnswerHandsOverItsPlaintext(t *testing.T) {
	plaintext := "psk_prod_" + string(bytes.Repeat([]byte("0"), 43)) + "1"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2","plaintext":"` + plaintext +
			`","env_prefix":"prod","expires_at":"not-a-date"}`))
	}))
	defer srv.Close()
	c, err := New(Options{Server: srv.URL, Token: []byte("opaque-bearer"), NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.RotateToken(t.Context(), "0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2")
	e := asError(t, err)
	if e.Kind != ErrorKindDecode || e.ExitCode != ExitRuntime {
		t.Fatalf("kind %v exit %d", e.Kind, e.ExitCode)
	}
	if string(e.Plaintext) != plaintext {
		t.Fatalf("the plaintext was not handed over: %q", e.Plaintext)
	}
	if bytes.Contains([]byte(e.Error()), []byte(plaintext[9:])) {
		t.Fatalf("the message leaks the plaintext: %s", e)
	}
	Wipe(e.Plaintext)
}

// Idempotent calls are retried on 503 within the deadline; Retries < 0 turns that off.
func TestRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1)%3 != 0 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[]`))
	}))
	defer srv.Close()
	c, err := New(Options{Server: srv.URL, Token: []byte("opaque-bearer"), NoEnvironment: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ListTokens(t.Context()); err != nil || calls.Load() != 3 {
		t.Fatalf("err %v after %d calls", err, calls.Load())
	}
	off, err := New(Options{Server: srv.URL, Token: []byte("opaque-bearer"), NoEnvironment: true, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	calls.Store(0)
	_, err = off.ListTokens(t.Context())
	if e := asError(t, err); e.Status != 503 || calls.Load() != 1 {
		t.Fatalf("status %d after %d calls", e.Status, calls.Load())
	}
}

// A malformed proxy URL is a usage error when the client is built; NoProxy keeps loopback direct.
func TestProxyOptions(t *testing.T) {
	_, err := New(Options{Server: "https://plexsphere.example", Proxy: "not a url", NoEnvironment: true})
	if e := asError(t, err); e.Kind != ErrorKindUsage || e.ExitCode != ExitUsage {
		t.Fatalf("kind %v exit %d", e.Kind, e.ExitCode)
	}
	direct, err := New(Options{Server: emu.URL, Token: []byte(emu.AdminToken), NoEnvironment: true, NoProxy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	if _, err := direct.ListTokens(t.Context()); err != nil {
		t.Fatal(err)
	}
}
