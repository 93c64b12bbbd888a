package plexctl

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
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
	}
	for i, k := range kinds {
		if got := k.kind.String(); got != k.name {
			t.Errorf("kind %d: String() = %q, want %q", uint32(k.kind), got, k.name)
		}
		if uint32(k.kind) != uint32(i+1) {
			t.Errorf("%s = %d, want %d (the header numbers kinds 1..17)", k.name, uint32(k.kind), i+1)
		}
	}
	for _, k := range []ErrorKind{0, ErrorKindInternal + 1} {
		if got, want := k.String(), fmt.Sprintf("ErrorKind(%d)", uint32(k)); got != want {
			t.Errorf("unknown kind: %q, want %q", got, want)
		}
	}
}

func TestErrorKinds(t *testing.T) {
	c := admin(t)

	_, err := c.IssueToken("group:x", "prod", "")
	if e := asError(t, err); e.Kind != ErrorKindUsage || e.ExitCode != ExitUsage || e.Status != 0 {
		t.Fatalf("usage: %+v", e)
	}
	if !strings.Contains(err.Error(), "usage") {
		t.Fatalf("the message names the kind: %v", err)
	}
	_, err = c.IssueToken("user:\x00", "prod", "")
	if e := asError(t, err); e.Kind != ErrorKindUsage || e.ExitCode != ExitUsage {
		t.Fatalf("a NUL byte cannot cross into C: %+v", e)
	}

	_, err = c.RotateNodeKeys("0190a8b8-a0c0-7a0a-8a0a-a0a0a0a0a0a0")
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
	_, err = c.RotateNodeKeys(denied)
	if e := asError(t, err); e.Kind != ErrorKindRebacDenied || e.ExitCode != 77 || ExitRebacDenied != 77 || e.Status != 403 {
		t.Fatalf("rebac: %+v", e)
	}

	anon, err := New(Options{Server: emu.URL, NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	_, err = anon.ListTokens()
	if e := asError(t, err); e.Kind != ErrorKindMissingCredentials || e.ExitCode != ExitCredentials {
		t.Fatalf("no token: %+v", e)
	}
	_, err = New(Options{Server: "http://plexsphere.example.com", NoEnvironment: true})
	if e := asError(t, err); e.Kind != ErrorKindInsecureTransport || e.ExitCode != ExitCredentials {
		t.Fatalf("plain http: %+v", e)
	}
	_ = anon.Close()
	_, err = anon.ListTokens()
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
					_, err = c.IssueToken("group:x", "prod", "")
				} else {
					want = ErrorKindNodeNotFound
					_, err = c.RotateNodeKeys("0190a8b8-a0c0-7a0a-8a0a-a0a0a0a0a0a1")
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
