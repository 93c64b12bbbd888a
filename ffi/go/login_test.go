package plexctl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// domainID is the emulator's Domain, the one device logins start against.
func domainID(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("PLEXCTL_TEST_DOMAIN"); d != "" {
		return d
	}
	var domain struct {
		DomainID string `json:"domain_id"`
	}
	control(t, "GET", "domain", "", &domain)
	return domain.DomainID
}

// loginClient is a client of the emulator that keeps its sessions in a new config file, with
// polls allowed back to back.
func loginClient(t *testing.T) (*Client, string) {
	t.Helper()
	control(t, "PATCH", "config", `{"device_poll_interval_seconds":0}`, nil)
	config := filepath.Join(t.TempDir(), "config.yaml")
	c, err := New(Options{Server: emu.URL, ConfigPath: config, NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, config
}

// approve answers a shown code as the browser would: "device/approve" or "device/deny". It runs
// inside OnCode, where t.FailNow (runtime.Goexit) must not be called, so it only reports.
func approve(t *testing.T, action string) func(*DeviceAuthorization) {
	return func(a *DeviceAuthorization) {
		resp, err := http.Post(emu.URL+"/_emulator/"+action, "application/json",
			strings.NewReader(`{"user_code":"`+a.UserCode+`"}`))
		if err != nil {
			t.Errorf("%s: %v", action, err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Errorf("%s: HTTP %d", action, resp.StatusCode)
		}
	}
}

func TestLoginThenStatusWhoamiRotateAndLogout(t *testing.T) {
	c, config := loginClient(t)
	var shown *DeviceAuthorization
	out, err := c.Login(context.Background(), domainID(t), LoginOptions{
		Profile:         "work",
		MakeDefault:     true,
		IdPBindingAlias: "github",
		OnCode: func(a *DeviceAuthorization) {
			shown = a
			approve(t, "device/approve")(a)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if shown == nil || !strings.Contains(shown.Text, shown.UserCode) || !strings.HasSuffix(shown.VerificationURI, "/device") ||
		!strings.Contains(shown.VerificationURIComplete, shown.UserCode) || shown.ExpiresIn != 600*time.Second ||
		shown.Interval != 0 || shown.ExpiresAt == "" {
		t.Fatalf("shown: %+v", shown)
	}
	if out.Profile != "work" || out.Server != emu.URL || len(out.TokenID) != 36 || out.ExpiresAt == "" ||
		!strings.HasPrefix(out.Text, "Logged in to ") {
		t.Fatalf("outcome: %+v", out)
	}

	s := sessionClient(t, config)
	st, err := s.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.State != "authenticated" || st.Profile != "work" || st.CredentialSource != "profile" || st.Rejection != "" ||
		!strings.HasPrefix(st.Server, emu.URL) || !strings.Contains(st.JSON, `"state": "authenticated"`) {
		t.Fatalf("status: %+v", st)
	}
	if st.Principal == nil || st.Principal.Email != "admin@plexsphere.test" || st.Principal.PrincipalType != "user" ||
		st.Principal.DomainID != domainID(t) {
		t.Fatalf("principal: %+v", st.Principal)
	}
	if st.Token == nil || st.Token.ID != out.TokenID || st.Token.ExpiresAt == "" {
		t.Fatalf("token: %+v", st.Token)
	}
	who, err := s.Whoami(t.Context())
	if err != nil || who.Subject == "" || !strings.Contains(emu.AdminIdentity, who.Subject) ||
		!strings.Contains(who.Text, "admin@plexsphere.test") {
		t.Fatalf("whoami: %v %+v", err, who)
	}

	rotated, err := s.RotateSession(t.Context())
	if err != nil || rotated.ID != out.TokenID {
		t.Fatalf("rotate-session: %v %+v", err, rotated)
	}
	defer Wipe(rotated.Plaintext)
	lo, err := s.Logout(t.Context())
	if err != nil || !lo.Revoked || lo.Profile != "work" {
		t.Fatalf("logout: %v %+v", err, lo)
	}
	revoked, err := New(Options{Server: emu.URL, Token: rotated.Plaintext, NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	defer revoked.Close()
	st, err = revoked.Status(t.Context())
	if err != nil || st.State != "rejected" || st.Rejection == "" || st.Principal != nil || st.Token != nil {
		t.Fatalf("a revoked token is a rejected status: %v %+v", err, st)
	}
	if strings.Contains(st.Text+st.JSON, string(rotated.Plaintext[9:])) {
		t.Fatal("the token leaked into the status")
	}
	_, err = revoked.Whoami(t.Context())
	if e := asError(t, err); e.Kind != ErrorKindAPI || e.Status != 401 {
		t.Fatalf("whoami with a revoked token: %+v", e)
	}
}

func TestStatusWithoutCredentials(t *testing.T) {
	c, err := New(Options{Server: emu.URL, NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := c.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.State != "no_credentials" || st.CredentialSource != "none" || st.Profile != "" || st.Principal != nil ||
		st.Token != nil || !strings.Contains(st.Text, "not logged in") {
		t.Fatalf("status: %+v", st)
	}
	if _, err := c.Whoami(t.Context()); asError(t, err).Kind != ErrorKindMissingCredentials {
		t.Fatalf("whoami without a token: %v", err)
	}
}

func TestDeniedLoginIsExitDenied(t *testing.T) {
	c, _ := loginClient(t)
	_, err := c.Login(context.Background(), domainID(t), LoginOptions{Profile: "p", OnCode: approve(t, "device/deny")})
	if e := asError(t, err); e.Kind != ErrorKindAccessDenied || e.ExitCode != ExitDenied || errors.Unwrap(e) != nil {
		t.Fatalf("denied: %+v", e)
	}
}

// The context's cancellation is the library's cancel check: the wait stops within a poll slice,
// not at the server's 5 s interval, and the error wraps the context's.
func TestLoginStopsWithItsContext(t *testing.T) {
	c, _ := loginClient(t)
	control(t, "PATCH", "config", `{"device_poll_interval_seconds":5}`, nil)
	defer control(t, "PATCH", "config", `{"device_poll_interval_seconds":0}`, nil)

	ctx, cancel := context.WithCancel(context.Background())
	started := time.Now()
	_, err := c.Login(ctx, domainID(t), LoginOptions{Profile: "p", OnCode: func(*DeviceAuthorization) {
		time.AfterFunc(100*time.Millisecond, cancel)
	}})
	e := asError(t, err)
	if e.Kind != ErrorKindCancelled || e.ExitCode != ExitRuntime || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %+v", e)
	}
	if time.Since(started) > 2*time.Second {
		t.Fatalf("the cancellation took %v", time.Since(started))
	}

	// A deadline ends it the same way, as a timeout: the kind every call gets from its deadline.
	ctx, stop := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer stop()
	started = time.Now()
	_, err = c.Login(ctx, domainID(t), LoginOptions{Profile: "p", OnCode: func(*DeviceAuthorization) {}})
	if e := asError(t, err); e.Kind != ErrorKindTimeout || e.ExitCode != ExitRuntime ||
		!errors.Is(err, context.DeadlineExceeded) || !strings.Contains(e.Message, "deadline") {
		t.Fatalf("deadline: %+v", e)
	}
	if time.Since(started) > 2*time.Second {
		t.Fatalf("the deadline took %v", time.Since(started))
	}

	// A context already done starts nothing: no code is requested, none shown.
	before := emuRequests(t, "POST /v1/auth/device-code")
	shown := false
	_, err = c.Login(ctx, domainID(t), LoginOptions{Profile: "p", OnCode: func(*DeviceAuthorization) { shown = true }})
	if e := asError(t, err); e.Kind != ErrorKindTimeout || !errors.Is(err, context.DeadlineExceeded) || shown {
		t.Fatalf("expired: %+v", e)
	}
	if n := emuRequests(t, "POST /v1/auth/device-code"); n != before {
		t.Fatalf("%d device-code requests were sent for a done context", n-before)
	}
}

func TestTwoStepLogin(t *testing.T) {
	c, config := loginClient(t)
	if _, err := c.StartDeviceLogin(t.Context(), "nope", "", ""); asError(t, err).Kind != ErrorKindUsage {
		t.Fatalf("malformed domain: %v", err)
	}
	if _, err := c.StartDeviceLogin(t.Context(), domainID(t), "", "gitlab"); asError(t, err).Status != 404 {
		t.Fatalf("unknown binding: %v", err)
	}
	auth, err := c.StartDeviceLogin(t.Context(), domainID(t), "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	if len(auth.UserCode) != 9 || auth.ExpiresIn != 600*time.Second || !strings.Contains(auth.Text, auth.UserCode) {
		t.Fatalf("auth: %+v", auth)
	}
	if _, err := c.CompleteDeviceLogin(context.Background(), auth, "", false); asError(t, err).Kind != ErrorKindUsage {
		t.Fatalf("empty profile: %v", err)
	}
	approve(t, "device/approve")(auth)
	out, err := c.CompleteDeviceLogin(context.Background(), auth, "two", false)
	if err != nil || out.Profile != "two" {
		t.Fatalf("complete: %v %+v", err, out)
	}
	_, err = c.CompleteDeviceLogin(context.Background(), auth, "again", false)
	if e := asError(t, err); e.Kind != ErrorKindAPI || e.Code != "invalid_grant" {
		t.Fatalf("a code is exchanged once: %+v", e)
	}
	if err := auth.Close(); err != nil {
		t.Fatal(err)
	}
	if err := auth.Close(); err != nil {
		t.Fatal("Close is idempotent")
	}
	if _, err := c.CompleteDeviceLogin(context.Background(), auth, "p", false); asError(t, err).Kind != ErrorKindUsage {
		t.Fatalf("a closed authorization: %v", err)
	}
	if _, err := sessionClient(t, config).Logout(t.Context()); err != nil {
		t.Fatal(err)
	}

	// The copy OnCode gets shows the code; it cannot be completed.
	var lent *DeviceAuthorization
	_, err = c.Login(context.Background(), domainID(t), LoginOptions{Profile: "p", OnCode: func(a *DeviceAuthorization) {
		lent = a
		approve(t, "device/deny")(a)
	}})
	if asError(t, err).Kind != ErrorKindAccessDenied {
		t.Fatal(err)
	}
	if _, err := c.CompleteDeviceLogin(context.Background(), lent, "p", false); asError(t, err).Kind != ErrorKindUsage {
		t.Fatalf("OnCode's copy: %v", err)
	}
	if err := lent.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLoginInputErrors(t *testing.T) {
	c, _ := loginClient(t)
	shown := false
	onCode := func(*DeviceAuthorization) { shown = true }
	for name, opts := range map[string]LoginOptions{
		"no OnCode":      {Profile: "p"},
		"id and alias":   {Profile: "p", IdPBindingID: domainID(t), IdPBindingAlias: "github", OnCode: onCode},
		"malformed id":   {Profile: "p", IdPBindingID: "x", OnCode: onCode},
		"NUL in profile": {Profile: "p\x00", OnCode: onCode},
	} {
		_, err := c.Login(context.Background(), domainID(t), opts)
		if e := asError(t, err); e.Kind != ErrorKindUsage || e.ExitCode != ExitUsage {
			t.Errorf("%s: %+v", name, e)
		}
	}
	if _, err := c.Login(nil, domainID(t), LoginOptions{Profile: "p", OnCode: onCode}); asError(t, err).Kind != ErrorKindUsage {
		t.Fatalf("nil context: %v", err)
	}
	if shown {
		t.Fatal("nothing was started")
	}
}

func TestLoginNotSavedKeepsTheSessionToken(t *testing.T) {
	c, config := loginClient(t)
	if err := os.Mkdir(config+".lock", 0o700); err != nil { // the write cannot take its lock
		t.Fatal(err)
	}
	_, err := c.Login(context.Background(), domainID(t), LoginOptions{Profile: "p", OnCode: approve(t, "device/approve")})
	e := asError(t, err)
	if e.Kind != ErrorKindSessionNotSaved || e.ExitCode != ExitRuntime || !bytes.HasPrefix(e.Plaintext, []byte("psk_")) {
		t.Fatalf("not saved: %+v", e)
	}
	defer Wipe(e.Plaintext)
	if strings.Contains(err.Error(), string(e.Plaintext)) {
		t.Fatal("the token leaked into the error")
	}
	works(t, e.Plaintext)
}

// A panic in OnCode cannot unwind through the library: it stops the login, which then raises it
// again in the caller's goroutine.
func TestAPanicInOnCodeComesBack(t *testing.T) {
	c, _ := loginClient(t)
	defer func() {
		if r := recover(); r != "boom" {
			t.Fatalf("recovered %v", r)
		}
	}()
	_, _ = c.Login(context.Background(), domainID(t), LoginOptions{Profile: "p", OnCode: func(*DeviceAuthorization) {
		panic("boom")
	}})
	t.Fatal("Login returned after OnCode panicked")
}

// Logins on many goroutines at once each see their own code, context and outcome.
func TestConcurrentLogins(t *testing.T) {
	c, _ := loginClient(t)
	domain := domainID(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			action := "device/approve"
			if i%2 == 1 {
				action = "device/deny"
			}
			profile := "p" + string(rune('0'+i))
			out, err := c.Login(context.Background(), domain, LoginOptions{Profile: profile, OnCode: approve(t, action)})
			var e *Error
			switch {
			case i%2 == 0 && (err != nil || out.Profile != profile):
				errs <- fmt.Errorf("%s: want a login, got %v", profile, err)
			case i%2 == 1 && (!errors.As(err, &e) || e.Kind != ErrorKindAccessDenied):
				errs <- fmt.Errorf("%s: want a denial, got %v", profile, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
