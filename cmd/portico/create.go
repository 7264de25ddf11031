package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/portico/portico/internal/app"
	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/conversations"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// openForCommand parses a one-shot command's flags and opens the store it names.
func openForCommand(ctx context.Context, fs *flag.FlagSet, args []string, getenv func(string) string) (store.Store, error) {
	load := config.Bind(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg, err := load()
	if err != nil {
		return nil, err
	}
	return app.OpenStore(ctx, cfg)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func createAccount(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("account create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "the account's name (required)")
	kind := fs.String("kind", "website", "website, portal or advertiser")
	parent := fs.String("parent", "", "for an advertiser: its portal's key")
	external := fs.String("external-id", "", "for an advertiser: the portal's own id for it")
	origins := fs.String("origins", "", "comma-separated origins where the widget may run (empty: anywhere)")
	asJSON := fs.Bool("json", false, "print JSON")
	s, err := openForCommand(ctx, fs, args, getenv)
	if err != nil {
		return err
	}
	defer s.Close()

	a := &domain.Account{ID: domain.NewID(), Kind: domain.AccountKind(*kind), Name: strings.TrimSpace(*name),
		Key: "pk_" + strings.ToLower(domain.NewSecret(12)), ExternalID: strings.TrimSpace(*external), CreatedAt: time.Now().UTC()}
	for _, o := range strings.Split(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			a.AllowedOrigins = append(a.AllowedOrigins, strings.TrimSuffix(o, "/"))
		}
	}
	switch {
	case a.Name == "":
		return errors.New("--name is required")
	case !a.Kind.Valid():
		return fmt.Errorf("--kind must be website, portal or advertiser, not %q", *kind)
	case a.Kind == domain.KindAdvertiser && (*parent == "" || a.ExternalID == ""):
		return errors.New("an advertiser needs --parent (its portal's key) and --external-id")
	case a.Kind != domain.KindAdvertiser && (*parent != "" || a.ExternalID != ""):
		return errors.New("--parent and --external-id are only for --kind advertiser")
	}
	if a.Kind == domain.KindAdvertiser {
		p, err := s.AccountByKey(ctx, *parent)
		if errors.Is(err, domain.ErrNotFound) {
			return fmt.Errorf("--parent: no account has key %q", *parent)
		}
		if err != nil {
			return err
		}
		if p.Kind != domain.KindPortal {
			return fmt.Errorf("--parent: %q is a %s, not a portal", *parent, p.Kind)
		}
		a.ParentID = p.ID
	}
	if err := s.CreateAccount(ctx, a); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, map[string]any{"account": a})
	}
	fmt.Fprintf(stdout, "account %s created\n  id:  %s\n  key: %s\n", a.Name, a.ID, a.Key)
	return nil
}

func createOperator(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("operator create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	accountKey := fs.String("account", "", "the account's key (required)")
	email := fs.String("email", "", "e-mail, used to sign in (required)")
	name := fs.String("name", "", "name shown to visitors (default: the part of the e-mail before @)")
	role := fs.String("role", "agent", "admin or agent")
	password := fs.String("password", "", "password (generated and printed when empty)")
	asJSON := fs.Bool("json", false, "print JSON")
	s, err := openForCommand(ctx, fs, args, getenv)
	if err != nil {
		return err
	}
	defer s.Close()

	acc, err := s.AccountByKey(ctx, *accountKey)
	if errors.Is(err, domain.ErrNotFound) || *accountKey == "" {
		return fmt.Errorf("--account: no account has key %q", *accountKey)
	}
	if err != nil {
		return err
	}
	n, e, err := conversations.CleanIdentity(*name, *email)
	if err != nil {
		return err
	}
	if e == "" {
		return errors.New("--email is required")
	}
	if n == "" {
		n = strings.SplitN(e, "@", 2)[0]
	}
	if !domain.Role(*role).Valid() {
		return fmt.Errorf("--role must be admin or agent, not %q", *role)
	}
	generated := *password == ""
	if generated {
		*password = auth.GeneratePassword()
	} else if len(*password) < 8 {
		return errors.New("--password must have at least 8 characters")
	}
	hash, err := auth.HashPassword(*password)
	if err != nil {
		return err
	}
	op := &domain.Operator{ID: domain.NewID(), AccountID: acc.ID, Email: strings.ToLower(e), Name: n, Role: domain.Role(*role),
		Status: domain.StatusOffline, AlertSound: true, PasswordHash: hash, CreatedAt: time.Now().UTC()}
	if err := s.CreateOperator(ctx, op); err != nil {
		return err
	}
	if *asJSON {
		out := map[string]any{"operator": op}
		if generated {
			out["password"] = *password
		}
		return printJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "operator %s <%s> created in %s\n  id:   %s\n  role: %s\n", op.Name, op.Email, acc.Name, op.ID, op.Role)
	if generated {
		fmt.Fprintf(stdout, "  password: %s   (shown once)\n", *password)
	}
	return nil
}
