package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/portico/portico/internal/rawsock"
)

// newClients makes one HTTP client per loopback source address (127.0.0.1, 127.0.0.2, …).
// Linux routes all of 127/8 to lo, so each source has its own ephemeral port range and a run
// can hold more connections than one address has ports.
func newClients(sources, concurrency int) []*http.Client {
	clients := make([]*http.Client, sources)
	for i := range clients {
		d := &net.Dialer{
			LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i))},
			Timeout:   10 * time.Second,
			// No TCP keep-alive probes: the live protocol has its own heartbeat, and probes on
			// thousands of idle sockets would only add noise to the idle CPU measurement.
			KeepAlive: -1,
		}
		// Raw reads and writes, as the node's: each request's write to a loopback socket is
		// otherwise long enough to keep the runtime's monitor thread waking.
		clients[i] = &http.Client{Transport: &transport{dial: rawsock.Dialing(d.DialContext), maxIdle: concurrency}}
	}
	return clients
}

func closeIdle(clients []*http.Client) {
	for _, c := range clients {
		c.CloseIdleConnections()
	}
}

// apiError is an answer other than the expected status.
type apiError struct {
	Method, URL string
	Status      int
	Code        string
}

func (e *apiError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Status, e.Code)
	}
	return fmt.Sprintf("%s %s: %d", e.Method, e.URL, e.Status)
}

// call sends a JSON request and decodes the JSON answer into out (when not nil). Any status
// other than 200 or 201 is an *apiError.
func call(ctx context.Context, c *http.Client, method, url, token string, body, out any) error {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		json.Unmarshal(raw, &e)
		return &apiError{Method: method, URL: req.URL.Path, Status: resp.StatusCode, Code: e.Error.Code}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: answer is not JSON: %w", method, req.URL.Path, err)
		}
	}
	return nil
}
