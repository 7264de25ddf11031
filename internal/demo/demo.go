// Package demo seeds a demo installation (a website, a portal with two advertisers and their
// listings, and operators) and serves pages under /demo/ that embed the widget.
package demo

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/domain"
)

// Store is what seeding needs.
type Store interface {
	CreateAccount(ctx context.Context, a *domain.Account) error
	AccountByKey(ctx context.Context, key string) (*domain.Account, error)
	CreateOperator(ctx context.Context, o *domain.Operator) error
	OperatorByEmail(ctx context.Context, email string) (*domain.Operator, error)
	SetOperatorPassword(ctx context.Context, id, passwordHash string) error
}

// Fixed keys, so that a restarted demo finds its own accounts again.
const (
	WebsiteKey = "demo-website"
	PortalKey  = "demo-portal"
)

type Listing struct {
	ID, Title, Price, Advertiser, AdvertiserName string
}

// Listings are the demo portal's adverts, two per advertiser.
var Listings = []Listing{
	{"flat-101", "Bright two-bedroom flat by the river", "€ 1,250 / month", "agency-north", "North Homes"},
	{"house-102", "Family house with garden", "€ 389,000", "agency-north", "North Homes"},
	{"loft-201", "Loft in the old harbour", "€ 2,100 / month", "agency-south", "South Estates"},
	{"studio-202", "Studio near the university", "€ 640 / month", "agency-south", "South Estates"},
}

// Login is an operator the demo created, with the password it was given this run.
type Login struct {
	Account, Email, Password, Role string
}

type Seeded struct {
	Logins []Login
}

// Seed creates what is missing and gives every demo operator a fresh password, printed once.
func Seed(ctx context.Context, s Store, origin string) (*Seeded, error) {
	website, err := ensureAccount(ctx, s, &domain.Account{Kind: domain.KindWebsite, Name: "Demo Shop", Key: WebsiteKey, AllowedOrigins: []string{origin}})
	if err != nil {
		return nil, err
	}
	portal, err := ensureAccount(ctx, s, &domain.Account{Kind: domain.KindPortal, Name: "Demo Property Portal", Key: PortalKey, AllowedOrigins: []string{origin}})
	if err != nil {
		return nil, err
	}
	north, err := ensureAccount(ctx, s, &domain.Account{Kind: domain.KindAdvertiser, Name: "North Homes", Key: "demo-agency-north",
		ParentID: portal.ID, ExternalID: "agency-north", AllowedOrigins: []string{origin}})
	if err != nil {
		return nil, err
	}
	south, err := ensureAccount(ctx, s, &domain.Account{Kind: domain.KindAdvertiser, Name: "South Estates", Key: "demo-agency-south",
		ParentID: portal.ID, ExternalID: "agency-south", AllowedOrigins: []string{origin}})
	if err != nil {
		return nil, err
	}
	out := &Seeded{}
	for _, o := range []struct {
		account     *domain.Account
		email, name string
		role        domain.Role
	}{
		{website, "admin@shop.demo", "Anna Admin", domain.RoleAdmin},
		{website, "agent@shop.demo", "Alex Agent", domain.RoleAgent},
		{portal, "admin@portal.demo", "Paula Portal", domain.RoleAdmin},
		{north, "agent@north.demo", "Nora North", domain.RoleAdmin},
		{south, "agent@south.demo", "Sam South", domain.RoleAdmin},
	} {
		password, err := ensureOperator(ctx, s, o.account, o.email, o.name, o.role)
		if err != nil {
			return nil, err
		}
		out.Logins = append(out.Logins, Login{Account: o.account.Name, Email: o.email, Password: password, Role: string(o.role)})
	}
	return out, nil
}

func ensureAccount(ctx context.Context, s Store, a *domain.Account) (*domain.Account, error) {
	existing, err := s.AccountByKey(ctx, a.Key)
	if err == nil {
		return existing, nil
	}
	if !errors.Is(err, domain.ErrNotFound) {
		return nil, err
	}
	a.ID, a.CreatedAt = domain.NewID(), time.Now().UTC()
	if err := s.CreateAccount(ctx, a); err != nil {
		return nil, fmt.Errorf("demo account %s: %w", a.Key, err)
	}
	return a, nil
}

func ensureOperator(ctx context.Context, s Store, acc *domain.Account, email, name string, role domain.Role) (string, error) {
	password := auth.GeneratePassword()
	hash, err := auth.HashPassword(password)
	if err != nil {
		return "", err
	}
	existing, err := s.OperatorByEmail(ctx, email)
	if err == nil {
		return password, s.SetOperatorPassword(ctx, existing.ID, hash)
	}
	if !errors.Is(err, domain.ErrNotFound) {
		return "", err
	}
	op := &domain.Operator{ID: domain.NewID(), AccountID: acc.ID, Email: email, Name: name, Role: role,
		Status: domain.StatusOffline, AlertSound: true, PasswordHash: hash, CreatedAt: time.Now().UTC()}
	return password, s.CreateOperator(ctx, op)
}

//go:embed pages/*.html
var pages embed.FS

var templates = template.Must(template.ParseFS(pages, "pages/*.html"))

// Pages serves the demo site: a shop page, a portal results page and a page per listing.
func Pages(publicURL string) http.Handler {
	mux := http.NewServeMux()
	data := func(extra map[string]any) map[string]any {
		m := map[string]any{"Base": publicURL, "WebsiteKey": WebsiteKey, "PortalKey": PortalKey, "Listings": Listings}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	render := func(w http.ResponseWriter, name string, d map[string]any) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := templates.ExecuteTemplate(w, name, d); err != nil {
			http.Error(w, "demo page failed", http.StatusInternalServerError)
		}
	}
	mux.HandleFunc("GET /demo/{$}", func(w http.ResponseWriter, r *http.Request) {
		render(w, "shop.html", data(nil))
	})
	mux.HandleFunc("GET /demo/portal/{$}", func(w http.ResponseWriter, r *http.Request) {
		render(w, "portal.html", data(nil))
	})
	mux.HandleFunc("GET /demo/portal/listing/{id}", func(w http.ResponseWriter, r *http.Request) {
		for _, l := range Listings {
			if l.ID == r.PathValue("id") {
				render(w, "listing.html", data(map[string]any{"Listing": l}))
				return
			}
		}
		http.NotFound(w, r)
	})
	return mux
}
