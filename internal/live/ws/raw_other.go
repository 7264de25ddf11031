//go:build !unix

package ws

// TryWrite writes nothing here: every frame goes through the connection's writer.
func (c *Conn) TryWrite(frame []byte) (int, error) { return 0, nil }

// Fill reads nothing here: ReadMessage reads the socket.
func (c *Conn) Fill() bool { return c.Buffered() }
