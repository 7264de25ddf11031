package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// NodeSpec says how to start the nodes of a self-contained run.
type NodeSpec struct {
	Exe   string   // the portico binary
	Args  []string // serve flags shared by every node (store, bus); --addr is added per node
	Env   []string // the nodes' environment
	Count int
}

// Nodes are portico server processes started by the bench on loopback ports.
type Nodes struct {
	spec NodeSpec
	list []*node
}

type node struct {
	addr string
	url  string
	cmd  *exec.Cmd
	log  *tail
	done chan struct{}
	err  error // why the process ended, once done is closed
}

// StartNodes starts spec.Count servers and waits until each answers /readyz.
func StartNodes(ctx context.Context, spec NodeSpec) (*Nodes, error) {
	ns := &Nodes{spec: spec}
	for i := range spec.Count {
		addr, err := freeAddr()
		if err != nil {
			ns.Stop()
			return nil, err
		}
		n, err := startNode(spec, addr, &tail{max: 16 << 10})
		if err != nil {
			ns.Stop()
			return nil, fmt.Errorf("node %d: %w", i+1, err)
		}
		ns.list = append(ns.list, n)
	}
	for i, n := range ns.list {
		if err := n.waitReady(ctx, 30*time.Second); err != nil {
			ns.Stop()
			return nil, fmt.Errorf("node %d: %w\n%s", i+1, err, n.log.String())
		}
	}
	return ns, nil
}

func startNode(spec NodeSpec, addr string, log *tail) (*node, error) {
	args := append([]string{"serve", "--addr", addr, "--log-level", "warn", "--shutdown-timeout", "5s"}, spec.Args...)
	cmd := exec.Command(spec.Exe, args...)
	cmd.Env = spec.Env
	n := &node{addr: addr, url: "http://" + addr, cmd: cmd, log: log, done: make(chan struct{})}
	cmd.Stdout = n.log
	cmd.Stderr = n.log
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		n.err = cmd.Wait()
		close(n.done)
	}()
	return n, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (n *node) waitReady(ctx context.Context, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", n.url+"/readyz", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-n.done:
			return fmt.Errorf("exited before it was ready: %v", n.err)
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: %v", within, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (ns *Nodes) URLs() []string {
	out := make([]string, len(ns.list))
	for i, n := range ns.list {
		out[i] = n.url
	}
	return out
}

func (ns *Nodes) PIDs() []int {
	out := make([]int, len(ns.list))
	for i, n := range ns.list {
		out[i] = n.cmd.Process.Pid
	}
	return out
}

// Restart stops node i with SIGTERM, as an operator deploying a new version would, waits for
// it to exit, and starts it again on the same address with the same flags (and so the same
// store). It returns once the new process answers /readyz.
func (ns *Nodes) Restart(ctx context.Context, i int) (Restarted, error) {
	var out Restarted
	start := time.Now()
	old := ns.list[i]
	old.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-old.done:
		out.Stopped = time.Since(start)
	case <-time.After(15 * time.Second):
		old.cmd.Process.Kill()
		<-old.done
		return out, fmt.Errorf("node %d did not stop within 15 s of SIGTERM and was killed\n%s", i+1, old.log.String())
	}
	if old.err != nil {
		return out, fmt.Errorf("node %d did not exit cleanly on SIGTERM: %v\n%s", i+1, old.err, old.log.String())
	}
	// The log goes on where the old process's ended, so a failure shows both.
	n, err := startNode(ns.spec, old.addr, old.log)
	if err != nil {
		return out, fmt.Errorf("node %d: start again: %w", i+1, err)
	}
	ns.list[i] = n
	if err := n.waitReady(ctx, 30*time.Second); err != nil {
		return out, fmt.Errorf("node %d after its restart: %w\n%s", i+1, err, n.log.String())
	}
	out.PID = n.cmd.Process.Pid
	return out, nil
}

// Restarted is how a node's restart went.
type Restarted struct {
	PID     int           // the new process
	Stopped time.Duration // SIGTERM until the old process had exited
}

// Check reports a node that is no longer running.
func (ns *Nodes) Check() error {
	for i, n := range ns.list {
		select {
		case <-n.done:
			return fmt.Errorf("node %d (%s) exited: %v", i+1, n.url, n.err)
		default:
		}
	}
	return nil
}

// Logs returns what the nodes wrote (the last part of it), for a run that went wrong.
func (ns *Nodes) Logs() string {
	var b strings.Builder
	for i, n := range ns.list {
		if s := n.log.String(); s != "" {
			fmt.Fprintf(&b, "--- node %d (%s)\n%s", i+1, n.url, s)
		}
	}
	return b.String()
}

// Stop asks every node to shut down and kills the ones still running after 10 s.
func (ns *Nodes) Stop() error {
	var errs []error
	for _, n := range ns.list {
		n.cmd.Process.Signal(syscall.SIGTERM)
	}
	deadline := time.After(10 * time.Second)
	for i, n := range ns.list {
		select {
		case <-n.done:
		case <-deadline:
			n.cmd.Process.Kill()
			<-n.done
			errs = append(errs, fmt.Errorf("node %d did not stop within 10 s and was killed", i+1))
		}
	}
	return errors.Join(errs...)
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
