// The Go subject of bench/run: the same operations through libplexctl's ABI via cgo (release
// library), with the thread-local error read on the same OS thread. Prints JSON lines.
package main

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: ${SRCDIR}/../../target/release/libplexctl.a -lgcc_s -lutil -lrt -lpthread -lm -ldl
#include <stdlib.h>
#include "plexctl.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

func env(name string) string {
	v, ok := os.LookupEnv(name)
	if !ok {
		fmt.Fprintf(os.Stderr, "%s is not set (run bench/run)\n", name)
		os.Exit(2)
	}
	return v
}

func check(status C.plexctl_status) {
	if status != C.PLEXCTL_STATUS_OK {
		fmt.Fprintf(os.Stderr, "bench: %s\n", C.GoString(C.plexctl_last_error_message()))
		os.Exit(1)
	}
}

// call locks the OS thread so a failure's thread-local detail is read where it was written.
func call(f func() C.plexctl_status) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	check(f())
}

func client(token string) *C.plexctl_client {
	b := C.plexctl_client_builder_new()
	url, tok := C.CString(env("BENCH_URL")), []byte(token)
	defer C.free(unsafe.Pointer(url))
	call(func() C.plexctl_status { return C.plexctl_client_builder_set_server(b, url) })
	call(func() C.plexctl_status { return C.plexctl_client_builder_set_use_environment(b, false) })
	call(func() C.plexctl_status {
		return C.plexctl_client_builder_set_token(b, (*C.uint8_t)(unsafe.Pointer(&tok[0])), C.size_t(len(tok)))
	})
	var c *C.plexctl_client
	call(func() C.plexctl_status { return C.plexctl_client_builder_build(b, &c) })
	return c
}

// cpuMicros is the CPU time this process (every thread) has used so far (getrusage).
func cpuMicros() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e3
}

func measure(op string, n int, f func()) {
	for i := 0; i < 20 && i < n; i++ {
		f()
	}
	cpu := cpuMicros()
	samples := make([]float64, n)
	for i := range samples {
		t := time.Now()
		f()
		samples[i] = float64(time.Since(t).Nanoseconds()) / 1e3
	}
	cpu = (cpuMicros() - cpu) / float64(n)
	sort.Float64s(samples)
	row, _ := json.Marshal(map[string]any{
		"subject": "go-cgo", "op": op, "n": n, "cpu_us": cpu,
		"median_us": samples[(n-1)/2], "p99_us": samples[int(float64(n-1)*0.99+0.5)],
	})
	fmt.Println(string(row))
}

func main() {
	n, _ := strconv.Atoi(env("BENCH_N"))
	c, big := client(env("BENCH_TOKEN")), client(env("BENCH_BIG_TOKEN"))
	identity, dev := C.CString(env("BENCH_IDENTITY")), C.CString("dev")
	rotateID, node := C.CString(env("BENCH_ROTATE_ID")), C.CString(env("BENCH_NODE"))
	clientID, grant := C.CString(env("BENCH_CLIENT_ID")), C.CString("client_credentials")
	secret := []byte(env("BENCH_CLIENT_SECRET"))
	list := func(h *C.plexctl_client) func() {
		return func() {
			var l *C.plexctl_token_list
			call(func() C.plexctl_status { return C.plexctl_list_tokens(h, &l) })
			C.plexctl_token_list_free(l)
		}
	}
	for round := 0; round < 2; round++ {
		measure("list10", n, list(c))
		measure("issue+delete", n, func() {
			var t *C.plexctl_token
			call(func() C.plexctl_status { return C.plexctl_issue_token(c, identity, dev, nil, &t) })
			call(func() C.plexctl_status { return C.plexctl_delete_token(c, C.plexctl_token_id(t)) })
			C.plexctl_token_free(t)
		})
		measure("rotate", n, func() {
			var t *C.plexctl_token
			call(func() C.plexctl_status { return C.plexctl_rotate_token(c, rotateID, &t) })
			C.plexctl_token_free(t)
		})
		measure("preview", n, func() {
			var p *C.plexctl_rotation_preview
			call(func() C.plexctl_status { return C.plexctl_preview_node_key_rotation(c, node, &p) })
			C.plexctl_rotation_preview_free(p)
		})
		measure("grant", n, func() {
			var t *C.plexctl_service_token
			call(func() C.plexctl_status {
				return C.plexctl_mint_service_token(c, clientID, grant,
					(*C.uint8_t)(unsafe.Pointer(&secret[0])), C.size_t(len(secret)), nil, 0, nil, &t)
			})
			C.plexctl_service_token_free(t)
		})
		measure("list10k", max(n/10, 20), list(big))
	}
	C.plexctl_client_free(c)
	C.plexctl_client_free(big)
}
