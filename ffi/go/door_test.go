package plexctl

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// asError is err as an *Error, or the test fails.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error, got %v", err)
	}
	return e
}

// TestErrorKindNames round-trips every kind constant through String, which asks the library.
func TestErrorKindNames(t *testing.T) {
	kinds := []struct {
		kind ErrorKind
		name string
	}{
		{ErrorKindUsage, "usage"},
		{ErrorKindMissingCredentials, "missing_credentials"},
		{ErrorKindInsecureTransport, "insecure_transport"},
		{ErrorKindInsecureConfig, "insecure_config"},
		{ErrorKindPermissionDenied, "permission_denied"},
		{ErrorKindRebacDenied, "rebac_denied"},
		{ErrorKindNodeNotFound, "node_not_found"},
		{ErrorKindNotProvisioned, "not_provisioned"},
		{ErrorKindAPI, "api"},
		{ErrorKindDecode, "decode"},
		{ErrorKindTransport, "transport"},
		{ErrorKindTimeout, "timeout"},
		{ErrorKindRefused, "refused"},
		{ErrorKindSessionNotSaved, "session_not_saved"},
		{ErrorKindConfig, "config"},
		{ErrorKindSetup, "setup"},
		{ErrorKindInternal, "internal"},
		{ErrorKindAccessDenied, "access_denied"},
		{ErrorKindLoginExpired, "login_expired"},
		{ErrorKindCancelled, "cancelled"},
	}
	for i, k := range kinds {
		if got := k.kind.String(); got != k.name {
			t.Errorf("kind %d: String() = %q, want %q", uint32(k.kind), got, k.name)
		}
		if uint32(k.kind) != uint32(i+1) {
			t.Errorf("%s = %d, want %d (the header numbers kinds 1..20)", k.name, uint32(k.kind), i+1)
		}
	}
	for _, k := range []ErrorKind{0, ErrorKindCancelled + 1} {
		if got, want := k.String(), fmt.Sprintf("ErrorKind(%d)", uint32(k)); got != want {
			t.Errorf("unknown kind: %q, want %q", got, want)
		}
	}
}

func TestVersionMatchesHeader(t *testing.T) {
	if Version() != HeaderVersion {
		t.Fatalf("libplexctl %q, plexctl.h %q", Version(), HeaderVersion)
	}
}

// TestEveryHeaderFunctionIsWrapped: each plexctl_* function of the header is called somewhere in
// the package, from Go or from a shim of the cgo preamble (the last-error reader, the login calls
// that take the Go callbacks); accessors fold into struct fields, the last-error readers into
// Error.
func TestEveryHeaderFunctionIsWrapped(t *testing.T) {
	header, err := os.ReadFile(filepath.Join("..", "..", "include", "plexctl.h"))
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("plexctl.h is not beside the package (outside the repository)")
	} else if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var source []byte
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		source = append(source, b...)
	}
	decls := regexp.MustCompile(`\b(plexctl_[a-z0-9_]+)\(`).FindAllSubmatch(header, -1)
	if len(decls) < 50 {
		t.Fatalf("found only %d functions in the header", len(decls))
	}
	// Functions whose Go counterpart is not a call.
	elsewhere := map[string]string{
		"plexctl_last_error_status": "Error.ExitCode is the status the failed operation returned, the same value",
	}
	for _, d := range decls {
		name := string(d[1])
		called := bytes.Contains(source, []byte("C."+name+"(")) || bytes.Contains(source, []byte("= "+name+"(")) ||
			bytes.Contains(source, []byte("return "+name+"("))
		if _, ok := elsewhere[name]; !ok && !called {
			t.Errorf("%s has no Go wrapper", name)
		}
	}
}

func TestErrorKinds(t *testing.T) {
	c := admin(t)

	_, err := c.IssueToken(t.Context(), "group:x", "prod", "")
	if e := asError(t, err); e.Kind != ErrorKindUsage || e.ExitCode != ExitUsage || e.Status != 0 {
		t.Fatalf("usage: %+v", e)
	}
	if !strings.Contains(err.Error(), "usage") {
		t.Fatalf("the message names the kind: %v", err)
	}
	_, err = c.IssueToken(t.Context(), "user:\x00", "prod", "")
	if e := asError(t, err); e.Kind != ErrorKindUsage || e.ExitCode != ExitUsage {
		t.Fatalf("a NUL byte cannot cross into C: %+v", e)
	}

	_, err = c.RotateNodeKeys(t.Context(), "0190a8b8-a0c0-7a0a-8a0a-a0a0a0a0a0a0")
	if e := asError(t, err); e.Kind != ErrorKindNodeNotFound || e.ExitCode != ExitDenied || e.Status != 404 {
		t.Fatalf("node_not_found: %+v", e)
	}

	denied := os.Getenv("PLEXCTL_TEST_DENIED_NODE")
	if denied == "" {
		var node struct {
			NodeID string `json:"node_id"`
		}
		control(t, "POST", "nodes", `{"edges":1}`, &node)
		control(t, "PUT", "nodes/"+node.NodeID+"/deny", `{"denied":true}`, nil)
		denied = node.NodeID
	}
	_, err = c.RotateNodeKeys(t.Context(), denied)
	if e := asError(t, err); e.Kind != ErrorKindRebacDenied || e.ExitCode != 77 || ExitRebacDenied != 77 || e.Status != 403 {
		t.Fatalf("rebac: %+v", e)
	}

	anon, err := New(Options{Server: emu.URL, NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	_, err = anon.ListTokens(t.Context())
	if e := asError(t, err); e.Kind != ErrorKindMissingCredentials || e.ExitCode != ExitCredentials {
		t.Fatalf("no token: %+v", e)
	}
	_, err = New(Options{Server: "http://plexsphere.example.com", NoEnvironment: true})
	if e := asError(t, err); e.Kind != ErrorKindInsecureTransport || e.ExitCode != ExitCredentials {
		t.Fatalf("plain http: %+v", e)
	}
	_ = anon.Close()
	_, err = anon.ListTokens(t.Context())
	if e := asError(t, err); e.Kind != ErrorKindUsage {
		t.Fatalf("closed client: %+v", e)
	}
}

// TestErrorsStayWithTheirGoroutine: many goroutines fail differently at once; each reads its own
// failure, never another thread's.
func TestErrorsStayWithTheirGoroutine(t *testing.T) {
	c := admin(t)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				var err error
				want := ErrorKindUsage
				if i%2 == 0 {
					_, err = c.IssueToken(t.Context(), "group:x", "prod", "")
				} else {
					want = ErrorKindNodeNotFound
					_, err = c.RotateNodeKeys(t.Context(), "0190a8b8-a0c0-7a0a-8a0a-a0a0a0a0a0a1")
				}
				var e *Error
				if !errors.As(err, &e) || e.Kind != want {
					errs <- fmt.Sprintf("goroutine %d: want %s, got %v", i, want, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}

// sessionClient is a client whose only credential source is the config file at path.
func sessionClient(t *testing.T, path string) *Client {
	t.Helper()
	s, err := New(Options{ConfigPath: path, NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// storeSession issues a token as the admin and stores it as the default profile of a new config
// file; it returns the file's path.
func storeSession(t *testing.T) (string, *Token) {
	t.Helper()
	issued, err := admin(t).IssueToken(t.Context(), emu.AdminIdentity, "prod", "")
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), "config.yaml")
	if err := sessionClient(t, config).StoreSession("default", emu.URL, issued.Plaintext, true); err != nil {
		t.Fatal(err)
	}
	return config, issued
}

// works checks a plaintext authenticates.
func works(t *testing.T, plaintext []byte) {
	t.Helper()
	c, err := New(Options{Server: emu.URL, Token: plaintext, NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ListTokens(t.Context()); err != nil {
		t.Fatalf("the plaintext does not authenticate: %v", err)
	}
}

// sunsetAgrees checks a rotated token's Sunset and RotationDeadline are the same second.
func sunsetAgrees(t *testing.T, tok *Token) {
	t.Helper()
	sunset, err := time.Parse(time.RFC3339, tok.Sunset)
	if err != nil {
		t.Fatalf("Sunset %q: %v", tok.Sunset, err)
	}
	deadline, err := time.Parse(time.RFC3339, tok.RotationDeadline)
	if err != nil {
		t.Fatalf("RotationDeadline %q: %v", tok.RotationDeadline, err)
	}
	if !tok.SunsetAgrees || sunset.Unix() != deadline.Unix() || !sunset.After(time.Now().Add(-time.Minute)) {
		t.Fatalf("sunset %v, deadline %v, agrees %v", sunset, deadline, tok.SunsetAgrees)
	}
}

func TestRotateSession(t *testing.T) {
	config, issued := storeSession(t)
	s := sessionClient(t, config)
	rotated, err := s.RotateSession(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer Wipe(rotated.Plaintext)
	if !bytes.HasPrefix(rotated.Plaintext, []byte("psk_prod_")) || bytes.Equal(rotated.Plaintext, issued.Plaintext) {
		t.Fatal("the rotation has a new plaintext")
	}
	if rotated.ID != issued.ID || rotated.EnvPrefix != "prod" || rotated.ExpiresAt == "" {
		t.Fatalf("rotated: id %s (issued %s), env %q, expires %q", rotated.ID, issued.ID, rotated.EnvPrefix, rotated.ExpiresAt)
	}
	sunsetAgrees(t, rotated)
	stored, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(stored, rotated.Plaintext) || bytes.Contains(stored, issued.Plaintext) {
		t.Fatal("the profile holds the new plaintext, not the old one")
	}
	Wipe(stored)
	works(t, rotated.Plaintext)
	works(t, issued.Plaintext) // until the deadline
	out, err := s.Logout(t.Context())
	if err != nil || !out.Revoked || out.Profile != "default" || out.Server != emu.URL {
		t.Fatalf("logout: %v %+v", err, out)
	}
	if _, err := s.RotateSession(t.Context()); asError(t, err).Kind != ErrorKindMissingCredentials {
		t.Fatalf("no session left to rotate: %v", err)
	}
}

func TestRotateSessionNotSavedKeepsThePlaintext(t *testing.T) {
	config, _ := storeSession(t)
	lock := config + ".lock"
	if err := os.Remove(lock); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if err := os.Mkdir(lock, 0o700); err != nil { // the write cannot take its lock
		t.Fatal(err)
	}
	rotated, err := sessionClient(t, config).RotateSession(t.Context())
	e := asError(t, err)
	if e.Kind != ErrorKindSessionNotSaved || e.ExitCode != ExitRuntime || e.Code == "session_not_saved" {
		t.Fatalf("session not saved: %+v", e)
	}
	if rotated == nil || !bytes.HasPrefix(rotated.Plaintext, []byte("psk_prod_")) {
		t.Fatalf("the rotated token comes back with the error: %+v", rotated)
	}
	defer Wipe(rotated.Plaintext)
	if strings.Contains(err.Error(), string(rotated.Plaintext)) {
		t.Fatal("the plaintext leaked into the error")
	}
	works(t, rotated.Plaintext)
}

func TestTokenSource(t *testing.T) {
	control(t, "POST", "service-identities", `{"kind":"client_credentials","client_id":"svc-go-source","client_secret":"go-source-secret"}`, nil)
	c, err := New(Options{Server: emu.URL, NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	secret := []byte("go-source-secret")

	if _, err := c.NewTokenSource("", "client_credentials", secret, nil, ""); asError(t, err).Kind != ErrorKindUsage {
		t.Fatalf("no client id: %v", err)
	}
	_, err = c.NewTokenSource("svc-go-source", "urn:ietf:params:oauth:grant-type:jwt-bearer", secret, nil, "")
	if e := asError(t, err); e.Kind != ErrorKindRefused || e.ExitCode != ExitRuntime {
		t.Fatalf("flag mismatch: %+v", e)
	}

	src, err := c.NewTokenSource("svc-go-source", "client_credentials", secret, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	Wipe(secret) // the library copied it
	first, err := src.Token(t.Context())
	if err != nil || len(first) == 0 {
		t.Fatalf("token: %v", err)
	}
	second, err := src.Token(t.Context())
	if err != nil || !bytes.Equal(first, second) {
		t.Fatalf("a cached token is reused: %v", err)
	}
	if err := src.Invalidate(); err != nil {
		t.Fatal(err)
	}
	third, err := src.Token(t.Context())
	if err != nil || len(third) == 0 || bytes.Equal(third, first) {
		t.Fatalf("after Invalidate a new token is minted: %v", err)
	}

	// The source keeps the client's handle alive past Client.Close, and works from many
	// goroutines at once.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	tokens := make([][]byte, 8)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tokens[i], _ = src.Token(t.Context())
		}()
	}
	wg.Wait()
	for _, tok := range tokens {
		if !bytes.Equal(tok, third) {
			t.Fatal("concurrent callers share the cached token")
		}
	}
	for _, b := range append(tokens, first, second, third) {
		Wipe(b)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal("Close is idempotent")
	}
	if _, err := src.Token(t.Context()); asError(t, err).Kind != ErrorKindUsage {
		t.Fatalf("a closed source refuses calls: %v", err)
	}
	if err := src.Invalidate(); asError(t, err).Kind != ErrorKindUsage {
		t.Fatalf("a closed source refuses calls: %v", err)
	}
}
