package plexctl

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// slowServer answers every request after delay (or when the client hangs up), counting them:
// an empty token list, or a service token for the grant path.
func slowServer(t *testing.T, delay time.Duration) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-r.Context().Done():
			return
		case <-time.After(delay):
		}
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1/auth/service/token" {
			_, _ = w.Write([]byte(`{"access_token":"opaque-access-token","token_type":"Bearer","expires_in":3600}`))
			return
		}
		_, _ = w.Write([]byte(`[]`))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// timing runs f and returns its error and how long it took.
func timing(f func() error) (error, time.Duration) {
	started := time.Now()
	err := f()
	return err, time.Since(started)
}

// A deadline sooner than the client's timeout ends the call at the deadline, even against a
// server that sends its headers at once and then drips the body, and the error is a timeout
// that unwraps to context.DeadlineExceeded.
func TestADeadlineEndsACallNearIt(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body := "[" + strings.Repeat(" ", 998) + "]"
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		for i := range len(body) {
			if _, err := w.Write([]byte{body[i]}); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	c, err := New(Options{Server: srv.URL, Token: []byte("opaque-bearer"), NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	err, took := timing(func() error { _, err := c.ListTokens(ctx); return err })
	e := asError(t, err)
	if e.Kind != ErrorKindTimeout || e.ExitCode != ExitRuntime || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("kind %v exit %d unwraps to %v: %s", e.Kind, e.ExitCode, errors.Unwrap(e), e)
	}
	if took < 250*time.Millisecond || took > 2*time.Second {
		t.Fatalf("the call took %v for a 300 ms deadline (the body takes 50 s)", took)
	}
	if calls.Load() != 1 {
		t.Fatalf("%d requests", calls.Load())
	}
}

// Without a deadline, or with one later than Options.Timeout, the client's timeout applies, and
// its timeout does not pretend to be the context's; a sooner deadline wins.
func TestTheClientTimeoutCapsEveryDeadline(t *testing.T) {
	srv, _ := slowServer(t, 3*time.Second)
	c, err := New(Options{Server: srv.URL, Token: []byte("opaque-bearer"), NoEnvironment: true, Timeout: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	later, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for name, ctx := range map[string]context.Context{"no deadline": t.Context(), "a later deadline": later} {
		err, took := timing(func() error { _, err := c.ListTokens(ctx); return err })
		e := asError(t, err)
		if e.Kind != ErrorKindTimeout || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			t.Errorf("%s: %+v (unwraps to %v)", name, e, errors.Unwrap(e))
		}
		if took < 350*time.Millisecond || took > 2500*time.Millisecond {
			t.Errorf("%s: took %v for the client's 400 ms", name, took)
		}
	}
	sooner, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	err, took := timing(func() error { _, err := c.ListTokens(sooner); return err })
	if e := asError(t, err); e.Kind != ErrorKindTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("sooner deadline: %+v", e)
	}
	if took < 100*time.Millisecond || took > 2*time.Second {
		t.Fatalf("took %v for a 150 ms deadline", took)
	}
	// A deadline with room to spare changes nothing.
	fast, _ := slowServer(t, 0)
	ok, err := New(Options{Server: fast.URL, Token: []byte("opaque-bearer"), NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ok.Close()
	roomy, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := ok.ListTokens(roomy); err != nil {
		t.Fatal(err)
	}
}

// A context already done ends every call at once, before anything is sent: a timeout for a
// passed deadline, a cancellation for a cancel, each unwrapping to the context's error.
func TestADoneContextSendsNothing(t *testing.T) {
	srv, calls := slowServer(t, 0)
	dir := t.TempDir()
	config := filepath.Join(dir, "config.yaml")
	c, err := New(Options{Server: srv.URL, Token: []byte("opaque-bearer"), ConfigPath: config, NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StoreSession("default", srv.URL, []byte("psk_prod_"+strings.Repeat("0", 43)+"1"), true); err != nil {
		t.Fatal(err)
	}
	src, err := c.NewTokenSource("svc", "client_credentials", []byte("s3cr3t"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	const id = "0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2"
	domain := "0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a3"
	ops := map[string]func(context.Context) error{
		"IssueToken":  func(ctx context.Context) error { _, err := c.IssueToken(ctx, "user:"+id, "prod", ""); return err },
		"RotateToken": func(ctx context.Context) error { _, err := c.RotateToken(ctx, id); return err },
		"DeleteToken": func(ctx context.Context) error { return c.DeleteToken(ctx, id) },
		"ListTokens":  func(ctx context.Context) error { _, err := c.ListTokens(ctx); return err },
		"MintServiceToken": func(ctx context.Context) error {
			_, err := c.MintServiceToken(ctx, "svc", "client_credentials", []byte("s"), nil, "")
			return err
		},
		"TokenSource.Token":      func(ctx context.Context) error { _, err := src.Token(ctx); return err },
		"RotateNodeKeys":         func(ctx context.Context) error { _, err := c.RotateNodeKeys(ctx, id); return err },
		"PreviewNodeKeyRotation": func(ctx context.Context) error { _, err := c.PreviewNodeKeyRotation(ctx, id); return err },
		"RotateSession":          func(ctx context.Context) error { _, err := c.RotateSession(ctx); return err },
		"Logout":                 func(ctx context.Context) error { _, err := c.Logout(ctx); return err },
		"Whoami":                 func(ctx context.Context) error { _, err := c.Whoami(ctx); return err },
		"Status":                 func(ctx context.Context) error { _, err := c.Status(ctx); return err },
		"StartDeviceLogin":       func(ctx context.Context) error { _, err := c.StartDeviceLogin(ctx, domain, "", ""); return err },
		"Login": func(ctx context.Context) error {
			_, err := c.Login(ctx, domain, LoginOptions{Profile: "p", OnCode: func(*DeviceAuthorization) { t.Error("a code was shown") }})
			return err
		},
	}
	expired, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	cancelled, cancelNow := context.WithCancel(t.Context())
	cancelNow()
	why := errors.New("the user pressed stop")
	caused, stop := context.WithCancelCause(t.Context())
	stop(why)
	for name, call := range ops {
		err, took := timing(func() error { return call(expired) })
		e := asError(t, err)
		if e.Kind != ErrorKindTimeout || e.ExitCode != ExitRuntime || errors.Unwrap(e) != context.DeadlineExceeded ||
			!strings.Contains(e.Message, "nothing was sent") {
			t.Errorf("%s, expired: %+v (unwraps to %v)", name, e, errors.Unwrap(e))
		}
		if took > 100*time.Millisecond {
			t.Errorf("%s took %v", name, took)
		}
		err = call(cancelled)
		if e := asError(t, err); e.Kind != ErrorKindCancelled || e.ExitCode != ExitRuntime || errors.Unwrap(e) != context.Canceled {
			t.Errorf("%s, cancelled: %+v (unwraps to %v)", name, e, errors.Unwrap(e))
		}
		err = call(caused)
		if !errors.Is(err, context.Canceled) || !errors.Is(err, why) {
			t.Errorf("%s, cancelled with a cause: %v", name, err)
		}
		if e := asError(t, call(nil)); e.Kind != ErrorKindUsage {
			t.Errorf("%s, nil ctx: %+v", name, e)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d requests reached the server", n)
	}
	if _, err := os.Stat(config); err != nil {
		t.Fatalf("the session must still be stored: %v", err)
	}
	// The same client then works as ever.
	if _, err := c.ListTokens(t.Context()); err != nil || calls.Load() != 1 {
		t.Fatalf("%v after %d requests", err, calls.Load())
	}
}

// A token source mints within the context's deadline too, and the token it then mints with room
// to spare is the one it caches.
func TestATokenSourceMintsWithinTheDeadline(t *testing.T) {
	srv, calls := slowServer(t, 800*time.Millisecond)
	c, err := New(Options{Server: srv.URL, NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src, err := c.NewTokenSource("svc", "client_credentials", []byte("s3cr3t"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	err, took := timing(func() error { _, err := src.Token(ctx); return err })
	if e := asError(t, err); e.Kind != ErrorKindTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%+v", e)
	}
	if took > 700*time.Millisecond {
		t.Fatalf("took %v for a 200 ms deadline (the server takes 800 ms)", took)
	}
	token, err := src.Token(t.Context())
	if err != nil || string(token) != "opaque-access-token" {
		t.Fatalf("%v %q", err, token)
	}
	Wipe(token)
	// Cached now: a context with a deadline gets it without a request.
	before := calls.Load()
	roomy, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if token, err := src.Token(roomy); err != nil || calls.Load() != before {
		t.Fatalf("%v after %d more requests", err, calls.Load()-before)
	} else {
		Wipe(token)
	}
}
