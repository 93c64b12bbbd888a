package plexctl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// emulator is the plexsphere emulator the tests talk to: the one tests/ffi.sh started (its
// PLEXCTL_TEST_* variables), or else one started here from PLEXSPHERE_EMULATOR or the
// workspace's target/debug.
type emulator struct {
	URL, AdminToken, AdminIdentity string
}

var emu emulator

func TestMain(m *testing.M) {
	if url := os.Getenv("PLEXCTL_TEST_URL"); url != "" {
		emu = emulator{url, os.Getenv("PLEXCTL_TEST_TOKEN"), os.Getenv("PLEXCTL_TEST_IDENTITY")}
		if emu.AdminToken == "" || emu.AdminIdentity == "" {
			panic("PLEXCTL_TEST_URL is set without PLEXCTL_TEST_TOKEN and PLEXCTL_TEST_IDENTITY")
		}
		os.Exit(m.Run())
	}
	bin := os.Getenv("PLEXSPHERE_EMULATOR")
	if bin == "" {
		bin = filepath.Join("..", "..", "target", "debug", "plexsphere-emulator")
	}
	cmd := exec.Command(bin, "--fast", "--exit-on-stdin-eof")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		panic("start the emulator (cargo build -p plexctl-emulator, or set PLEXSPHERE_EMULATOR): " + err.Error())
	}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		panic(err)
	}
	var info struct {
		URL           string `json:"url"`
		AdminToken    string `json:"admin_token"`
		AdminIdentity string `json:"admin_identity"`
	}
	if err := json.Unmarshal(line, &info); err != nil {
		panic(err)
	}
	emu = emulator{info.URL, info.AdminToken, info.AdminIdentity}
	code := m.Run()
	stdin.Close()
	_ = cmd.Wait()
	os.Exit(code)
}

func control(t *testing.T, method, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, emu.URL+"/_emulator/"+path, strings.NewReader(body))
	req.Header.Set("content-type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode >= 300 {
		t.Fatalf("control %s %s: %v %v", method, path, err, resp)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

// emuRequests is how many requests the emulator has received for route ("POST /v1/auth/tokens").
func emuRequests(t *testing.T, route string) uint64 {
	t.Helper()
	var stats struct {
		Routes map[string]uint64 `json:"routes"`
	}
	control(t, "GET", "stats", "", &stats)
	return stats.Routes[route]
}

func admin(t *testing.T) *Client {
	t.Helper()
	c, err := New(Options{Server: emu.URL, Token: []byte(emu.AdminToken), NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error, got %v", err)
	}
	return e.ExitCode
}

func TestTokensEndToEnd(t *testing.T) {
	c := admin(t)
	issued, err := c.IssueToken(t.Context(), emu.AdminIdentity, "prod", "24h")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(issued.Plaintext, []byte("psk_prod_")) || len(issued.Plaintext) != 53 {
		t.Fatalf("unexpected plaintext shape (len %d)", len(issued.Plaintext))
	}
	list, err := c.ListTokens(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range list {
		found = found || s.ID == issued.ID
	}
	if !found {
		t.Fatal("issued token not listed")
	}
	rotated, err := c.RotateToken(t.Context(), issued.ID)
	if err != nil || !rotated.SunsetAgrees || rotated.RotationDeadline == "" {
		t.Fatalf("rotate: %v %+v", err, rotated)
	}
	sunsetAgrees(t, rotated)
	Wipe(rotated.Plaintext)
	old, err := New(Options{Server: emu.URL, Token: issued.Plaintext, NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if _, err := old.ListTokens(t.Context()); err != nil {
		t.Fatalf("the rotated-from plaintext works until the deadline: %v", err)
	}
	Wipe(issued.Plaintext)
	if !bytes.Equal(issued.Plaintext, make([]byte, 53)) {
		t.Fatal("Wipe leaves zeros")
	}
	if err := c.DeleteToken(t.Context(), issued.ID); err != nil {
		t.Fatal(err)
	}
	_, err = old.ListTokens(t.Context())
	var e *Error
	if !errors.As(err, &e) || e.ExitCode != ExitRuntime || e.Status != 401 || e.Code != "unauthenticated" {
		t.Fatalf("revoked token: %v", err)
	}
}

func TestErrorsCarryExitCodes(t *testing.T) {
	c := admin(t)
	if _, err := c.IssueToken(t.Context(), "group:x", "prod", ""); exitCode(t, err) != ExitUsage {
		t.Fatal(err)
	}
	if _, err := New(Options{Server: "http://plexsphere.example.com", NoEnvironment: true}); exitCode(t, err) != ExitCredentials {
		t.Fatal(err)
	}
	anon, err := New(Options{Server: emu.URL, NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	if _, err := anon.ListTokens(t.Context()); exitCode(t, err) != ExitCredentials {
		t.Fatal(err)
	}
	var node struct {
		NodeID string `json:"node_id"`
	}
	control(t, "POST", "nodes", `{"edges":2}`, &node)
	p, err := c.PreviewNodeKeyRotation(t.Context(), node.NodeID)
	if err != nil || p.AffectedPeerCount != 2 || len(p.AffectedEdges) != 2 {
		t.Fatalf("preview: %v %+v", err, p)
	}
	tr, err := c.RotateNodeKeys(t.Context(), node.NodeID)
	if err != nil || tr.AlreadyPending {
		t.Fatalf("trigger: %v %+v", err, tr)
	}
	again, err := c.RotateNodeKeys(t.Context(), node.NodeID)
	if err != nil || !again.AlreadyPending || again.RotationID != tr.RotationID {
		t.Fatalf("re-trigger: %v %+v", err, again)
	}
	if _, err := c.RotateNodeKeys(t.Context(), "0190a8b8-a0c0-7a0a-8a0a-a0a0a0a0a0a0"); exitCode(t, err) != ExitDenied {
		t.Fatal(err)
	}
	control(t, "PUT", "nodes/"+node.NodeID+"/deny", `{"denied":true}`, nil)
	_, err = c.RotateNodeKeys(t.Context(), node.NodeID)
	var e *Error
	if !errors.As(err, &e) || e.ExitCode != ExitRebacDenied || e.CorrelationID == "" {
		t.Fatalf("rebac: %v", err)
	}
}

func TestServiceTokenAndSession(t *testing.T) {
	control(t, "POST", "service-identities", `{"kind":"client_credentials","client_id":"svc-go","client_secret":"go-secret-value"}`, nil)
	c := admin(t)
	secret := []byte("go-secret-value")
	st, err := c.MintServiceToken(t.Context(), "svc-go", "client_credentials", secret, nil, "domain:read")
	if err != nil || st.TokenType != "Bearer" || st.Scope != "domain:read" || len(st.AccessToken) == 0 {
		t.Fatalf("grant: %v %+v", err, st)
	}
	_, err = c.MintServiceToken(t.Context(), "svc-go", "urn:ietf:params:oauth:grant-type:jwt-bearer", secret, nil, "")
	if exitCode(t, err) != ExitRuntime || !strings.Contains(err.Error(), "--client-secret must not be set") {
		t.Fatal(err)
	}
	if strings.Contains(err.Error(), "go-secret-value") {
		t.Fatal("the secret leaked into an error")
	}

	config := filepath.Join(t.TempDir(), "config.yaml")
	issued, err := c.IssueToken(t.Context(), emu.AdminIdentity, "prod", "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{ConfigPath: config, NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.StoreSession("default", emu.URL, issued.Plaintext, true); err != nil {
		t.Fatal(err)
	}
	out, err := s.Logout(t.Context())
	if err != nil || out.Text != `Logged out. Cleared profile "default".` || !out.Revoked {
		t.Fatalf("logout: %v %+v", err, out)
	}
	out, err = s.Logout(t.Context())
	if err != nil || out.Profile != "" || out.Text != "No active session; nothing to do." {
		t.Fatalf("second logout: %v %+v", err, out)
	}
}

func TestOneClientManyGoroutines(t *testing.T) {
	c := admin(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				if _, err := c.ListTokens(t.Context()); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("Close is idempotent")
	}
	if _, err := c.ListTokens(t.Context()); exitCode(t, err) != ExitUsage {
		t.Fatal("a closed client refuses calls")
	}
}
