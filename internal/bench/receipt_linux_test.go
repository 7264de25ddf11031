package bench

import (
	"context"
	"net"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/portico/portico/internal/rawsock"
)

// A message read by a goroutine carries the kernel's stamp of its arrival: after the server sent
// it, and no later than the bench read it. A socket the bench's poller reads has none.
func TestMessagesCarryTheirArrivalStamp(t *testing.T) {
	// Each connection's server sends a message when asked, and tells when it did.
	connected := make(chan chan chan time.Time, 2)
	url := rawServer(t, func(conn net.Conn, answer []byte) {
		conn.Write(answer)
		asks := make(chan chan time.Time)
		connected <- asks
		for sent := range asks {
			at := time.Now()
			conn.Write([]byte{0x81, 5, 'h', 'e', 'l', 'l', 'o'})
			sent <- at
		}
	})
	dial := func() (*wsConn, func() time.Time) {
		c := mustDial(t, url)
		asks := <-connected
		t.Cleanup(func() { close(asks) })
		return c, func() time.Time {
			sent := make(chan time.Time)
			asks <- sent
			return <-sent
		}
	}

	c, send := dial()
	c.readWithReceipts()
	// The kernel turns stamping on a moment after the first socket of the machine asks for it
	// (a deferred switch), so the first messages may come unstamped.
	var stamped bool
	for range 200 {
		sentAt := send()
		data, err := c.read()
		readAt := time.Now()
		if err != nil || string(data) != "hello" {
			t.Fatalf("read %q, %v", data, err)
		}
		receipt := c.lastReceipt()
		if receipt.IsZero() {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		stamped = true
		const slack = time.Millisecond // the kernel's clock and Go's, read at other moments
		if receipt.Before(sentAt.Add(-slack)) || receipt.After(readAt.Add(slack)) {
			t.Errorf("stamped %v, sent %v and read %v", receipt, sentAt, readAt)
		}
		break
	}
	if !stamped {
		t.Error("no message came with the kernel's stamp")
	}
	// A read without a stamp leaves none behind: the last one would date its bytes too early.
	sc := c.nc.(*stampedConn)
	var unset error
	if err := sc.raw.Control(func(fd uintptr) { unset = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 0) }); err != nil || unset != nil {
		t.Fatal(err, unset)
	}
	send()
	if _, err := c.read(); err != nil {
		t.Fatal(err)
	}
	if got := c.lastReceipt(); !got.IsZero() {
		t.Errorf("a read without a stamp left %v", got)
	}

	polled, send := dial()
	if _, err := polled.pollWith(func() {}); err != nil {
		t.Fatal(err)
	}
	send()
	deadline := time.Now().Add(5 * time.Second)
	for {
		msg, ok, err := polled.buffered()
		if err != nil || ok {
			if string(msg) != "hello" || !polled.lastReceipt().IsZero() {
				t.Errorf("polled: read %q, %v, stamped %v", msg, err, polled.lastReceipt())
			}
			break
		}
		if err := polled.fillNow(); err != nil && err != errNothingToRead {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the polled socket's message did not arrive")
		}
		time.Sleep(time.Millisecond)
	}
}

// The stamp is found among other control messages, and a cut-off one is no stamp.
func TestReceiptIn(t *testing.T) {
	controlMessage := func(typ int32, data []byte) []byte {
		b := make([]byte, unix.CmsgSpace(len(data)))
		h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
		h.Level, h.Type = unix.SOL_SOCKET, typ
		h.SetLen(unix.CmsgLen(len(data)))
		copy(b[unix.CmsgLen(0):], data)
		return b
	}
	want := time.Unix(1_700_000_000, 123_456_789)
	ts := unix.NsecToTimespec(want.UnixNano())
	stamp := controlMessage(unix.SCM_TIMESTAMPNS, unsafe.Slice((*byte)(unsafe.Pointer(&ts)), sizeofTimespec))
	other := controlMessage(unix.SCM_RIGHTS, []byte{1, 2, 3, 4})
	both := append(append([]byte(nil), other...), stamp...)
	// One byte in, so that nothing in it is aligned.
	unaligned := append([]byte{0}, both...)[1:]
	for _, c := range []struct {
		name string
		oob  []byte
		want time.Time
	}{
		{"the stamp alone", stamp, want},
		{"the stamp after another message", both, want},
		{"unaligned", unaligned, want},
		{"the stamp cut off", both[:len(both)-4], time.Time{}},
		{"another message only", other, time.Time{}},
		{"nothing", nil, time.Time{}},
	} {
		if got := receiptIn(c.oob); !got.Equal(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// The bench's HTTP clients dial raw connections (package rawsock), and the operators' sockets
// they open still read with the kernel's stamps.
func TestRawConnectionsKeepTheirReceipts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
			c.Read(make([]byte, 1))
		}
	}()
	tr := newClients(1, 1)[0].Transport.(*transport)
	nc, err := tr.dial(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, raw := nc.(*rawsock.Conn); !raw {
		t.Fatalf("the bench dialled a %T, want a *rawsock.Conn", nc)
	}
	if _, stamped := withReceipts(nc).(*stampedConn); !stamped {
		t.Fatal("a raw connection read without the kernel's stamps")
	}
}
