// Command portico is the Portico live chat server. See README.md for the commands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "portico:", err)
		os.Exit(1)
	}
}

const usage = `usage: portico [command] [flags]

commands:
  serve              run the server (the default)
  demo               run the server with demo accounts, operators and pages at /demo/
  account create     create an account:  --name N [--kind website|portal|advertiser] [--parent KEY] [--external-id X] [--json]
  operator create    create an operator: --account KEY --email E [--name N] [--role admin|agent] [--password P] [--json]
  migrate            bring the database schema up to date and exit
  bench              run a bounded load against a server and report speed and cost per connection
  version            print the version

Run "portico serve -h" for the server's flags; each also reads a PORTICO_* environment variable.
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (len(args[0]) > 0 && args[0][0] == '-') {
		return serve(ctx, "serve", args, getenv, stdout, stderr, false)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, cmd, rest, getenv, stdout, stderr, false)
	case "demo":
		return serve(ctx, cmd, rest, getenv, stdout, stderr, true)
	case "migrate":
		return migrate(ctx, rest, getenv, stdout, stderr)
	case "bench":
		return benchCmd(ctx, rest, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "portico", version())
		return nil
	case "account", "operator":
		if len(rest) == 0 || rest[0] != "create" {
			return fmt.Errorf("%s: the only subcommand is create\n\n%s", cmd, usage)
		}
		if cmd == "account" {
			return createAccount(ctx, rest[1:], getenv, stdout, stderr)
		}
		return createOperator(ctx, rest[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
	}
}
