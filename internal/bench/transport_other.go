//go:build !unix

package bench

import "net"

// closedByPeer cannot peek without waiting here; a connection the node closed fails its request.
func closedByPeer(net.Conn) bool { return false }
