package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"text/tabwriter"

	"github.com/portico/portico/internal/app"
	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/demo"
)

func version() string { return app.Version }

func serve(ctx context.Context, name string, args []string, getenv func(string) string, stdout, stderr io.Writer, withDemo bool) error {
	cfg, err := config.Parse(name, args, getenv, stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	s, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	a, err := app.New(cfg, s, log)
	if err != nil {
		s.Close()
		return err
	}
	defer func() {
		if err := a.Close(); err != nil {
			log.Warn("closing", "err", err)
		}
	}()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	var demoPages http.Handler
	if withDemo {
		seeded, err := demo.Seed(ctx, s, cfg.PublicURL)
		if err != nil {
			ln.Close()
			return fmt.Errorf("seed demo: %w", err)
		}
		demoPages = demo.Pages(cfg.PublicURL)
		printDemo(stdout, cfg.PublicURL, seeded)
	}
	log.Info("portico is listening", "url", cfg.PublicURL, "config", cfg.String(), "version", app.Version, "procs", runtime.GOMAXPROCS(0))
	return a.Serve(ctx, ln, a.Handler(demoPages))
}

func printDemo(w io.Writer, base string, seeded *demo.Seeded) {
	fmt.Fprintf(w, "\nPortico demo is running.\n\n")
	fmt.Fprintf(w, "  Demo website:   %s/demo/\n", base)
	fmt.Fprintf(w, "  Demo portal:    %s/demo/portal/\n", base)
	fmt.Fprintf(w, "  Console:        %s/console/\n\n", base)
	fmt.Fprintf(w, "Operators (new passwords every start):\n\n")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  account\temail\tpassword\trole")
	for _, l := range seeded.Logins {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", l.Account, l.Email, l.Password, l.Role)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Parse("migrate", args, getenv, stderr)
	if err != nil {
		return err
	}
	s, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "database schema is up to date")
	return s.Close()
}
