package plexctl

// No secret left behind in a Go process: the test binary re-runs itself as a child (init below)
// that does the flow of tests/memscan (issue + rotate ×5, client_credentials ×5, store → rotate →
// logout a session) through this package, Wipes every []byte secret it receives, Closes every
// client, runs the garbage collector, then scans its own readable memory (/proc/self/maps and
// /proc/self/mem) and prints `<label> <count>` per secret. Every count must be 0, and the control
// (a secret still alive during the scan) must be found, or the scan proves nothing.
//
// The child keeps only XOR-masked copies of the secrets (for a psk its last 22 characters, the
// secret part; else all of it) and masks each chunk of memory before searching it, wiping the
// chunk after the search, so the scan leaves no unmasked copy of its own. The client secret comes
// on standard input, read with read(2) into a slice that is wiped; it is never in the child's
// environment. The []byte copies the package returns are the caller's (this child's) to wipe; the
// point is that the library and the package leave none.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	memscanMask         = 0xA5
	memscanPSKSecretLen = 22
	memscanChunk        = 1 << 20
)

func init() {
	if os.Getenv("PLEXCTL_MEMSCAN_CHILD") == "1" {
		os.Exit(memscanChild())
	}
}

func TestNoSecretLeftInFreedMemory(t *testing.T) {
	random := make([]byte, 24)
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	clientID, secret := "svc-memscan-go", "memscan-go-"+hex.EncodeToString(random)
	control(t, "POST", "service-identities",
		fmt.Sprintf(`{"kind":"client_credentials","client_id":%q,"client_secret":%q}`, clientID, secret), nil)

	cmd := exec.Command(os.Args[0])
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PLEXCTL_") && !strings.HasPrefix(kv, "PLEXSPHERE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"PLEXCTL_MEMSCAN_CHILD=1",
		"PLEXCTL_TEST_URL="+emu.URL,
		"PLEXCTL_TEST_TOKEN="+emu.AdminToken,
		"PLEXCTL_TEST_IDENTITY="+emu.AdminIdentity,
		"PLEXCTL_MEMSCAN_CONFIG="+filepath.Join(t.TempDir(), "config", "plexctl.yaml"),
		"PLEXCTL_MEMSCAN_CLIENT_ID="+clientID,
	)
	cmd.Stdin = strings.NewReader(secret)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the flow ran: %v\n%s\n%s", err, out, stderr.Bytes())
	}
	t.Logf("counts:\n%s", out)
	counts := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		label, n, ok := strings.Cut(line, " ")
		count, err := strconv.Atoi(n)
		if !ok || err != nil {
			t.Fatalf("unexpected report line %q:\n%s", line, out)
		}
		counts[label] = count
	}
	if len(counts) != 19 {
		t.Fatalf("every secret of the flow was scanned (want 19):\n%s", out)
	}
	if counts["control"] < 1 {
		t.Fatalf("the live control secret must be found:\n%s", out)
	}
	for label, n := range counts {
		if label != "control" && n > 0 {
			t.Errorf("%s: %d copies survive", label, n)
		}
	}
}

type memscanNeedle struct {
	label  string
	masked []byte
	count  int
}

// memscanKeep keeps a masked copy of a secret's distinctive part: for a psk its 22 secret
// characters, else all of it. It reads the secret in place and never copies it unmasked.
func memscanKeep(needles *[]memscanNeedle, label string, secret []byte) {
	part := secret
	if len(part) > memscanPSKSecretLen && bytes.HasPrefix(part, []byte("psk_")) {
		part = part[len(part)-memscanPSKSecretLen:]
	}
	masked := make([]byte, len(part))
	for i, b := range part {
		masked[i] = b ^ memscanMask
	}
	*needles = append(*needles, memscanNeedle{label: label, masked: masked})
}

func memscanChild() int {
	var needles []memscanNeedle
	control, err := memscanFlow(&needles)
	if err != nil {
		fmt.Fprintln(os.Stderr, "memscan:", err)
		return 2
	}
	memscanKeep(&needles, "control", control)
	runtime.GC()
	err = memscanScan(needles)
	runtime.KeepAlive(control) // alive through the scan: the control
	Wipe(control)
	if err != nil {
		fmt.Fprintln(os.Stderr, "memscan:", err)
		return 2
	}
	for _, n := range needles {
		fmt.Printf("%s %d\n", n.label, n.count)
	}
	return 0
}

// memscanReadSecret reads the client secret from fd 0 with read(2), straight into buf; trailing
// whitespace is cut.
func memscanReadSecret(buf []byte) ([]byte, error) {
	n := 0
	for n < len(buf) {
		got, err := syscall.Read(0, buf[n:])
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if got == 0 {
			break
		}
		n += got
	}
	for n > 0 && (buf[n-1] == '\n' || buf[n-1] == '\r' || buf[n-1] == ' ') {
		n--
	}
	if n == 0 || n == len(buf) {
		return nil, errors.New("expected the client secret on standard input")
	}
	return buf[:n], nil
}

// memscanFlow runs the flow and returns the control: the plaintext of a token kept alive (and
// unwiped) for the scan. Its context's deadline is sooner than the clients' 30 s timeout, so every
// call runs on a handle derived for it, and the scan covers those too.
func memscanFlow(needles *[]memscanNeedle) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	url, identity := os.Getenv("PLEXCTL_TEST_URL"), os.Getenv("PLEXCTL_TEST_IDENTITY")
	buf := make([]byte, 256)
	defer Wipe(buf)
	secret, err := memscanReadSecret(buf)
	if err != nil {
		return nil, err
	}
	memscanKeep(needles, "client_secret", secret)
	admin, err := New(Options{Server: url, Token: []byte(os.Getenv("PLEXCTL_TEST_TOKEN")), NoEnvironment: true})
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	for i := range 5 {
		issued, err := admin.IssueToken(ctx, identity, "prod", "1h")
		if err != nil {
			return nil, err
		}
		memscanKeep(needles, fmt.Sprintf("issued_%d", i), issued.Plaintext)
		Wipe(issued.Plaintext)
		rotated, err := admin.RotateToken(ctx, issued.ID)
		if err != nil {
			return nil, err
		}
		memscanKeep(needles, fmt.Sprintf("rotated_%d", i), rotated.Plaintext)
		Wipe(rotated.Plaintext)
	}
	anonymous, err := New(Options{Server: url, NoEnvironment: true})
	if err != nil {
		return nil, err
	}
	defer anonymous.Close()
	for i := range 5 {
		minted, err := anonymous.MintServiceToken(ctx, os.Getenv("PLEXCTL_MEMSCAN_CLIENT_ID"), "client_credentials", secret, nil, "")
		if err != nil {
			return nil, err
		}
		memscanKeep(needles, fmt.Sprintf("access_token_%d", i), minted.AccessToken)
		Wipe(minted.AccessToken)
	}
	session, err := admin.IssueToken(ctx, identity, "prod", "1h")
	if err != nil {
		return nil, err
	}
	memscanKeep(needles, "session", session.Plaintext)
	store, err := New(Options{ConfigPath: os.Getenv("PLEXCTL_MEMSCAN_CONFIG"), NoEnvironment: true})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	err = store.StoreSession("default", url, session.Plaintext, true)
	Wipe(session.Plaintext)
	if err != nil {
		return nil, err
	}
	rotated, err := store.RotateSession(ctx)
	if err != nil {
		return nil, err
	}
	memscanKeep(needles, "session_rotated", rotated.Plaintext)
	Wipe(rotated.Plaintext)
	out, err := store.Logout(ctx)
	if err != nil {
		return nil, err
	}
	if !out.Revoked {
		return nil, fmt.Errorf("logout did not revoke: %+v", out)
	}
	control, err := admin.IssueToken(ctx, identity, "prod", "1h")
	if err != nil {
		return nil, err
	}
	return control.Plaintext, nil
}

// memscanScan counts every occurrence of each needle in this process's readable memory.
func memscanScan(needles []memscanNeedle) error {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return err
	}
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		return err
	}
	defer mem.Close()
	overlap := 1
	for _, n := range needles {
		overlap = max(overlap, len(n.masked))
	}
	buf := make([]byte, memscanChunk+overlap)
	for _, line := range strings.Split(string(maps), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || !strings.HasPrefix(fields[1], "r") ||
			strings.Contains(line, "[vvar") || strings.HasSuffix(line, "[vsyscall]") {
			continue
		}
		lo, hi, _ := strings.Cut(fields[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("unexpected maps line %q", line)
		}
		for at := start; at < end; at += memscanChunk {
			want := int(min(end-at, uint64(len(buf))))
			n, _ := mem.ReadAt(buf[:want], int64(at))
			if n == 0 {
				break
			}
			chunk := buf[:n]
			for i := range chunk {
				chunk[i] ^= memscanMask
			}
			for k := range needles {
				// Matches starting in the overlap are counted by the next chunk.
				needles[k].count += bytes.Count(chunk, needles[k].masked)
				if n > memscanChunk {
					needles[k].count -= bytes.Count(chunk[memscanChunk:], needles[k].masked)
				}
			}
			// Where it covered the masked needles, the masked chunk holds the secrets: gone now.
			clear(chunk)
		}
	}
	return nil
}
