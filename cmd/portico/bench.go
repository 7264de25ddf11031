package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/internal/app"
	"github.com/portico/portico/internal/bench"
	"github.com/portico/portico/internal/config"
)

// benchWorkerArg is the hidden subcommand of a worker process: `portico bench worker`.
const benchWorkerArg = "worker"

// benchCmd runs a bounded load against a server, started here on loopback unless --url names
// one, and reports what it measured. It fails when anything went wrong under load.
func benchCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == benchWorkerArg {
		// Not for people: the bench starts its worker processes this way and speaks to them on
		// stdin and stdout.
		return bench.ServeWorker(ctx, os.Stdin, stdout)
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	load := config.Bind(fs, getenv)
	target := fs.String("url", "", "base URL of a running node, whose store --data or --database-url names; empty: start nodes on loopback")
	pid := fs.Int("pid", 0, "with --url: the server's process id, to read its memory and CPU from /proc rather than /metrics")
	nodes := fs.Int("nodes", 1, "without --url: how many nodes to start; more than one needs --database-url and --nats-url")
	visitors := fs.Int("visitors", 100, "visitors that keep the widget's socket open")
	operators := fs.Int("operators", 5, "operators signed in with the console's socket open")
	advertisers := fs.Int("advertisers", 0, "a portal with this many advertisers rather than a website: visitors on their listing pages, the i-th operator the i-th advertiser's")
	chatting := fs.Int("chatting", -1, "visitors that hold a conversation (default min(visitors, 50))")
	rate := fs.Float64("rate", 100, "visitor messages per second, over all conversations")
	duration := fs.Duration("duration", 10*time.Second, "length of the messaging phase")
	hold := fs.Duration("hold", 10*time.Second, "time every connection is held idle to measure its cost")
	pageviews := fs.Int("pageviews", 1000, "page views sent in the page-view phase")
	lists := fs.Int("lists", 0, "after the page views, returning visitors list their chats this many times, as the widget does on each page load")
	concurrency := fs.Int("concurrency", 64, "requests in flight at once")
	sources := fs.Int("sources", 8, "spread connections over the source addresses 127.0.0.1 … 127.0.0.N")
	heartbeat := fs.Int("heartbeat", 25, "seconds between pings on each socket, as the protocol asks")
	workers := fs.Int("workers", 0, fmt.Sprintf("processes that hold the visitors' sockets: 1 is the bench alone; more starts that many worker processes (default: one per %d visitors)", bench.SocketsPerWorker))
	restart := fs.Bool("restart", false, "without --url: after the fan-out, restart one node (SIGTERM, then start it again) and time its visitors' reconnects")
	fanouts := fs.Int("fanouts", 1, "how many times the fan-out phase sends its event to every visitor; each one's last client is reported")
	window := fs.Duration("window", 5*time.Second, "cut the messaging phase into windows this long, each with its latency and the nodes' database times (0: none)")
	send := fs.String("send", "socket", "how messages are sent: socket (a send frame on the WebSocket) or rest (POST …/messages)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	started := *target == ""
	switch {
	case !started && *nodes != 1:
		return errors.New("--nodes is for nodes the bench starts itself; without --url")
	case started && *pid != 0:
		return errors.New("--pid goes with --url; the bench knows the nodes it starts")
	case !started && *restart:
		return errors.New("--restart is for nodes the bench starts itself; without --url")
	case *send != "socket" && *send != "rest":
		return fmt.Errorf("--send is socket or rest, not %q", *send)
	case *fanouts < 1:
		return fmt.Errorf("--fanouts must be between 1 and %d", bench.MaxFanouts)
	case *workers < 0:
		return errors.New("--workers must be at least 1")
	case *operators < 0:
		return errors.New("--operators cannot be negative")
	case *advertisers < 0:
		return errors.New("--advertisers cannot be negative")
	case *advertisers > 0 && *operators > *advertisers:
		return fmt.Errorf("--operators %d is more than --advertisers %d: each operator is one advertiser's", *operators, *advertisers)
	case *nodes < 1:
		return errors.New("--nodes must be at least 1")
	case *nodes > 1 && (cfg.DatabaseURL == "" || cfg.NATS.URL == ""):
		return errors.New("several nodes share one installation: --nodes above 1 needs --database-url and --nats-url")
	}
	if *chatting < 0 {
		*chatting = min(*visitors, 50)
	}
	if *workers == 0 {
		*workers = bench.DefaultWorkers(*visitors)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	// PORTICO_TEST_BE_MAIN lets the test binary stand in for portico (see main_test.go);
	// the real binary ignores it.
	env := append(os.Environ(), "PORTICO_TEST_BE_MAIN=1")
	opts := bench.Options{
		Visitors: *visitors, Chatting: *chatting, Rate: *rate, Duration: *duration, Hold: *hold,
		PageViews: *pageviews, Lists: *lists, Concurrency: *concurrency, Sources: *sources,
		Heartbeat: time.Duration(*heartbeat) * time.Second, Window: *window, Progress: stderr,
		Operators: make([]bench.Login, *operators), // the count, for Validate; filled by Seed
		Workers:   *workers, Worker: &bench.WorkerSpec{Exe: exe, Args: []string{"bench", benchWorkerArg}, Env: env},
		Restart: *restart, Fanouts: *fanouts, SendOverREST: *send == "rest",
	}
	limit, err := bench.RaiseFileLimit()
	if err != nil {
		fmt.Fprintf(stderr, "bench: the open-file limit stays as it is: %v\n", err)
	}
	opts.FileLimit = int(min(limit, 1<<30))
	if err := opts.Validate(); err != nil {
		return err
	}

	if started && cfg.DatabaseURL == "" {
		dir, err := os.MkdirTemp("", "portico-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.Data = dir
	}
	s, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	seeded, err := bench.Seed(ctx, s, *operators, *advertisers)
	s.Close()
	if err != nil {
		return err
	}

	opts.Account, opts.Operators, opts.Advertisers = seeded.AccountKey, seeded.Operators, seeded.Advertisers
	var ns *bench.Nodes
	if started {
		serveArgs := []string{"--data", cfg.Data}
		if cfg.DatabaseURL != "" {
			serveArgs = append(serveArgs, "--database-url", cfg.DatabaseURL, "--database-pool", strconv.Itoa(cfg.DatabasePool))
		}
		serveArgs = append(serveArgs, cfg.NATS.Args()...)
		ns, err = bench.StartNodes(ctx, bench.NodeSpec{Exe: exe, Args: serveArgs, Env: env, Count: *nodes})
		if err != nil {
			return err
		}
		defer ns.Stop()
		opts.URLs, opts.PIDs, opts.Check = ns.URLs(), ns.PIDs(), ns.Check
		if *restart {
			opts.RestartNode = ns.Restart
		}
	} else {
		opts.URLs = []string{strings.TrimSuffix(*target, "/")}
		if *pid != 0 {
			opts.PIDs = []int{*pid}
		}
	}

	rep, err := bench.Run(ctx, opts)
	if err != nil {
		return err
	}
	rep.Target.Started = started
	rep.Target.Store = "sqlite"
	if cfg.DatabaseURL != "" {
		rep.Target.Store = "postgres"
	}
	if started {
		rep.Target.Bus = "memory"
		if cfg.NATS.URL != "" {
			rep.Target.Bus = "nats"
		}
	}
	if *asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteTable(stdout)
	}
	if err != nil {
		return err
	}
	if ns != nil {
		if err := ns.Stop(); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
		}
		if !rep.OK {
			fmt.Fprint(stderr, ns.Logs())
		}
	}
	if !rep.OK {
		return fmt.Errorf("bench: %s", strings.Join(rep.Failures, "; "))
	}
	return nil
}
