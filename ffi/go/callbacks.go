package plexctl

// The Go ends of the device-login callbacks. cgo allows only declarations in the preamble of a
// file with //export, so the C shims that call these live in plexctl.go's preamble.

/*
#include "plexctl.h"
*/
import "C"

import "runtime/cgo"

//export goplexctlOnCode
func goplexctlOnCode(auth *C.plexctl_device_authorization, state C.uintptr_t) {
	cgo.Handle(state).Value().(*loginState).showCode(auth)
}

//export goplexctlCancelled
func goplexctlCancelled(state C.uintptr_t) C.bool {
	return C.bool(cgo.Handle(state).Value().(*loginState).cancelled())
}
