//go:build !linux

package bench

import "net"

// withReceipts: the kernel's receive stamps are read on Linux only; elsewhere the report has the
// read's time alone.
func withReceipts(nc net.Conn) net.Conn { return nc }
