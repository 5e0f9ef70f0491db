package encoder

import (
	"syscall"
	"time"
	"unsafe"
)

// processCPU returns the CPU time the process has used, or 0 when
// it cannot be read (gonum runs parts of a matrix product on other threads).
// On a shared machine it measures the encoder's own work
// where wall time also counts waiting for a CPU.
func processCPU() time.Duration {
	var ts syscall.Timespec
	const clockProcessCPUTime = 2 // CLOCK_PROCESS_CPUTIME_ID
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockProcessCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}
