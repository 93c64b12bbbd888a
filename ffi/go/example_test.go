package plexctl

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Device login, then the session's status: what a command-line program does. Here the emulator
// plays the server and its dashboard approves the code, as the user would in a browser.
func ExampleClient_Login() {
	dir, _ := os.MkdirTemp("", "plexctl-example")
	defer os.RemoveAll(dir)
	config := filepath.Join(dir, "config.yaml")
	client, err := New(Options{Server: emu.URL, ConfigPath: config, NoEnvironment: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	// The user has five minutes to approve the code; every call takes a context, whose deadline
	// bounds it (within the client's own Timeout, 30 s by default).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	domain := emulatorDomain() // your Domain's id
	outcome, err := client.Login(ctx, domain, LoginOptions{
		Profile:     "default",
		MakeDefault: true,
		OnCode: func(auth *DeviceAuthorization) {
			// A program prints auth.Text: the URL to open and the code to enter.
			fmt.Println("code shown:", auth.UserCode != "" && strings.Contains(auth.Text, auth.UserCode))
			approveInEmulator(auth.UserCode)
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("saved in profile", outcome.Profile)

	// A client built now reads the stored session (credentials resolve when a client is built).
	session, err := New(Options{ConfigPath: config, NoEnvironment: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer session.Close()
	status, err := session.Status(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(status.State, status.Profile)
	// Output:
	// code shown: true
	// saved in profile default
	// authenticated default
}

// emulatorDomain is the emulator's Domain id.
func emulatorDomain() string {
	if d := os.Getenv("PLEXCTL_TEST_DOMAIN"); d != "" {
		return d
	}
	var domain struct {
		DomainID string `json:"domain_id"`
	}
	if resp, err := http.Get(emu.URL + "/_emulator/domain"); err == nil {
		defer resp.Body.Close()
		_ = json.NewDecoder(resp.Body).Decode(&domain)
	}
	return domain.DomainID
}

// approveInEmulator is the user approving the code in a browser, through the emulator's control API.
func approveInEmulator(userCode string) {
	resp, err := http.Post(emu.URL+"/_emulator/device/approve", "application/json",
		strings.NewReader(`{"user_code":"`+userCode+`"}`))
	if err == nil {
		resp.Body.Close()
	}
}
