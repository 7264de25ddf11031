package e2e

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/portico/portico/internal/testutil"
)

// The widget and the console send messages over the socket they hold (a `send` frame, not a
// POST) while it is up. A socket lost before the server answered leaves the message's fate
// unknown: the widget sends it again over REST with the same client_msg_id, and it is stored
// and shown once.
func TestMessagesGoOverTheSocketInTheBrowser(t *testing.T) {
	dir := t.TempDir()
	srv := testutil.NewServer(t, testutil.WithDemo(), testutil.WithStore(testutil.OpenSQLiteAt(t, dir)))
	_, operator, visitor := demoAdminAndVisitor(t, srv, srv)
	writeFirstMessage(t, visitor, srv.URL, "Hello, do you ship to Norway?")
	waitJS(t, operator, "the waiting chat", `document.querySelector('[data-testid=waiting-item]')`)
	run(t, operator, "open the waiting chat", chromedp.Click(chromedp.CSS(`[data-testid=waiting-item]`)))
	run(t, operator, "claim it", chromedp.Click(chromedp.CSS(`[data-testid=claim]`)))
	waitJS(t, operator, "the chat is claimed", `document.querySelector('[data-testid=composer]') && !document.querySelector('[data-testid=claim]')`)

	run(t, visitor, "write a second message",
		chromedp.SendKeys(inWidget(`[data-testid=composer]`), "And to Iceland?"),
		chromedp.SendKeys(inWidget(`[data-testid=composer]`), kb.Enter))
	waitJS(t, visitor, "the second message is stored", widget(`[data-testid=message][data-seq="2"]`))
	run(t, operator, "reply",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), "Yes, to both."),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), kb.Enter))
	waitJS(t, visitor, "the reply in the widget", widgetAll(`[data-testid=message][data-author-type=operator]`)+`.some(m => m.textContent.includes('to both'))`)
	waitJS(t, operator, "the reply is stored", `document.querySelector('[data-testid=message][data-seq="3"]')`)

	m := scrapeMetrics(t, srv)
	for series, want := range map[string]float64{
		`portico_socket_send_seconds_count{author="visitor",code="201"}`:                                         1,
		`portico_socket_send_seconds_count{author="operator",code="201"}`:                                        1,
		`portico_http_request_seconds_count{code="201",route="POST /api/v1/widget/conversations/{id}/messages"}`: 0,
		`portico_http_request_seconds_count{code="201",route="POST /api/v1/conversations/{id}/messages"}`:        0,
	} {
		if m[series] != want {
			t.Errorf("%s = %v, want %v", series, m[series], want)
		}
	}

	// The database's write lock holds the next message in the server while the visitor's
	// socket goes; the widget then sends it over REST, which waits for the lock too.
	lock, err := testutil.OpenSQLiteFile(t, dir).Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	run(t, visitor, "write while the server is busy",
		chromedp.SendKeys(inWidget(`[data-testid=composer]`), "Are you still there?"),
		chromedp.SendKeys(inWidget(`[data-testid=composer]`), kb.Enter))
	time.Sleep(300 * time.Millisecond) // the frame reaches the server and waits for the lock
	evalJS[any](t, visitor, `Portico._debug.socket()?.close()`)
	time.Sleep(300 * time.Millisecond) // the widget posts it again
	if _, err := lock.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	lock.Close()

	still := `.filter(m => m.textContent.includes('still there')).length`
	waitJS(t, visitor, "the message is stored", widget(`[data-testid=message][data-seq="4"]`))
	waitJS(t, operator, "the operator has it", `[...document.querySelectorAll('[data-testid=message]')]`+still+` === 1`)
	time.Sleep(500 * time.Millisecond) // a second copy would show by now
	if n := evalJS[int](t, visitor, widgetAll(`[data-testid=message]`)+still); n != 1 {
		t.Fatalf("the widget shows the message %d times, want once", n)
	}
	if n := evalJS[int](t, operator, `[...document.querySelectorAll('[data-testid=message]')]`+still); n != 1 {
		t.Fatalf("the console shows the message %d times, want once", n)
	}
	if n := testutil.Count(t, testutil.OpenSQLiteFile(t, dir), "SELECT count(*) FROM messages WHERE body = 'Are you still there?'"); n != 1 {
		t.Fatalf("stored %d times, want once", n)
	}
	// It went both ways: over the socket, whose answer was lost, and over REST. One of the two
	// stored it (201), the other was answered with it (200).
	m = scrapeMetrics(t, srv)
	stored := func(series string) float64 {
		return m[strings.Replace(series, "CODE", "200", 1)] + m[strings.Replace(series, "CODE", "201", 1)]
	}
	if n := stored(`portico_socket_send_seconds_count{author="visitor",code="CODE"}`); n != 2 {
		t.Errorf("the visitor's socket sends answered: %v, want 2 (the second message and this one)", n)
	}
	if n := stored(`portico_http_request_seconds_count{code="CODE",route="POST /api/v1/widget/conversations/{id}/messages"}`); n != 1 {
		t.Errorf("the widget posted the message %v times after its socket went, want once", n)
	}
}

// scrapeMetrics reads the node's /metrics: each sample's value by its name and labels.
func scrapeMetrics(t *testing.T, srv *testutil.Server) map[string]float64 {
	t.Helper()
	raw := testutil.DoHeaders(t, http.MethodGet, srv.URL+"/metrics", "", nil, nil).Want(t, http.StatusOK).Raw
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if strings.HasPrefix(line, "#") || i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// A send the server never answers (a proxy that drops the frame while pings pass) is sent
// over REST once the widget gives up on its answer, and so is every later message of the
// page, without waiting again.
func TestAnUnansweredSendMovesTheWidgetToREST(t *testing.T) {
	srv := testutil.NewServer(t, testutil.WithDemo())
	_, _, visitor := demoAdminAndVisitor(t, srv, srv)
	writeFirstMessage(t, visitor, srv.URL, "Hello, is anyone there?")
	evalJS[any](t, visitor, `(() => {
		window.droppedSends = 0;
		const send = WebSocket.prototype.send;
		WebSocket.prototype.send = function (data) {
			if (typeof data === 'string' && JSON.parse(data).type === 'send') {
				window.droppedSends++;
				return;
			}
			return send.call(this, data);
		};
	})()`)

	for i, text := range []string{"Second question", "Third question"} {
		run(t, visitor, "write "+text,
			chromedp.SendKeys(inWidget(`[data-testid=composer]`), text),
			chromedp.SendKeys(inWidget(`[data-testid=composer]`), kb.Enter))
		waitJS(t, visitor, text+" is stored", widget(`[data-testid=message][data-seq="`+strconv.Itoa(i+2)+`"]`))
	}
	if n := evalJS[int](t, visitor, `window.droppedSends`); n != 1 {
		t.Errorf("the widget tried the socket for %d messages, want 1 (the first unanswered one)", n)
	}
	m := scrapeMetrics(t, srv)
	if n := m[`portico_http_request_seconds_count{code="201",route="POST /api/v1/widget/conversations/{id}/messages"}`]; n != 2 {
		t.Errorf("the widget posted %v messages, want 2", n)
	}
}
