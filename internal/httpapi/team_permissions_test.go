package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

// teamFixture is an account with an admin and an agent, and another account with its own admin.
type teamFixture struct {
	srv                          *testutil.Server
	acc, otherAcc                *domain.Account
	admin, agent                 *domain.Operator
	adminTok, agentTok, otherTok string
}

func newTeamFixture(t *testing.T, srv *testutil.Server) *teamFixture {
	t.Helper()
	f := &teamFixture{srv: srv, acc: srv.Account(domain.KindWebsite, nil, ""), otherAcc: srv.Account(domain.KindWebsite, nil, "")}
	f.admin, f.adminTok = srv.Operator(f.acc, domain.RoleAdmin)
	f.agent, f.agentTok = srv.Operator(f.acc, domain.RoleAgent)
	_, f.otherTok = srv.Operator(f.otherAcc, domain.RoleAdmin)
	return f
}

// colleague adds an operator to the fixture's account straight in the store, without signing in.
func (f *teamFixture) colleague(t *testing.T, role domain.Role) *domain.Operator {
	t.Helper()
	hash, err := auth.HashPassword("colleague-password")
	if err != nil {
		t.Fatal(err)
	}
	op := &domain.Operator{ID: domain.NewID(), AccountID: f.acc.ID, Email: domain.NewSecret(6) + "@team.example", Name: "Colleague " + domain.NewSecret(3),
		Role: role, Status: domain.StatusOffline, PasswordHash: hash, CreatedAt: time.Now().UTC()}
	if err := f.srv.Store.CreateOperator(t.Context(), op); err != nil {
		t.Fatal(err)
	}
	return op
}

func (f *teamFixture) canned(t *testing.T, token, scope, shortcut string) string {
	t.Helper()
	return f.srv.Do("POST", "/api/v1/canned-responses", token, map[string]string{"scope": scope, "shortcut": shortcut, "body": "Hello!"}).
		Want(t, http.StatusCreated).String("canned_response", "id")
}

func (f *teamFixture) rule(t *testing.T) string {
	t.Helper()
	return f.srv.Do("POST", "/api/v1/routing-rules", f.adminTok, map[string]any{"pattern": "/cars/*", "operator_ids": []string{f.agent.ID}}).
		Want(t, http.StatusCreated).String("routing_rule", "id")
}

// Every endpoint that manages the team, usage, canned responses or routing, called by an
// admin, an agent of the same account and an admin of another account.
func TestTeamPermissionMatrix(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		f := newTeamFixture(t, srv)
		type who int
		const (
			admin who = iota
			agent
			other
		)
		token := map[who]string{admin: f.adminTok, agent: f.agentTok, other: f.otherTok}
		cases := []struct {
			name   string
			caller who
			method string
			path   func() string // may create what the request acts on
			body   any
			status int
			code   string                                   // for errors
			check  func(t *testing.T, r *testutil.Response) // for successes
		}{
			{"admin lists operators with their e-mails", admin, "GET", fixed("/api/v1/operators"), nil, 200, "", func(t *testing.T, r *testutil.Response) {
				ops := r.List("operators")
				if len(ops) != 2 || field(ops, f.agent.ID, "email") != f.agent.Email {
					t.Fatalf("admin's list: %s", r.Raw)
				}
			}},
			{"agent lists colleagues without e-mails", agent, "GET", fixed("/api/v1/operators"), nil, 200, "", func(t *testing.T, r *testutil.Response) {
				ops := r.List("operators")
				if len(ops) != 2 || field(ops, f.admin.ID, "name") != f.admin.Name || field(ops, f.admin.ID, "email") != nil ||
					field(ops, f.admin.ID, "phone") != nil || field(ops, f.admin.ID, "role") != "admin" {
					t.Fatalf("agent's list: %s", r.Raw)
				}
			}},
			{"another account lists only its own", other, "GET", fixed("/api/v1/operators"), nil, 200, "", func(t *testing.T, r *testutil.Response) {
				if ops := r.List("operators"); len(ops) != 1 || field(ops, f.admin.ID, "id") != nil {
					t.Fatalf("other account's list: %s", r.Raw)
				}
			}},
			{"admin adds an operator", admin, "POST", fixed("/api/v1/operators"), map[string]string{"email": "new1@team.example", "name": "New One"}, 201, "", func(t *testing.T, r *testutil.Response) {
				if r.String("operator", "account_id") != f.acc.ID || r.String("operator", "role") != "agent" || len(r.String("password")) < 8 {
					t.Fatalf("created: %s", r.Raw)
				}
			}},
			{"agent may not add operators", agent, "POST", fixed("/api/v1/operators"), map[string]string{"email": "new2@team.example", "name": "New Two"}, 403, "forbidden", nil},
			{"another account's admin adds to their own account", other, "POST", fixed("/api/v1/operators"), map[string]string{"email": "new3@team.example", "name": "New Three"}, 201, "", func(t *testing.T, r *testutil.Response) {
				if r.String("operator", "account_id") != f.otherAcc.ID {
					t.Fatalf("created in the wrong account: %s", r.Raw)
				}
			}},
			{"admin renames an operator", admin, "PATCH", func() string { return "/api/v1/operators/" + f.colleague(t, domain.RoleAgent).ID }, map[string]string{"name": "Renamed"}, 200, "", func(t *testing.T, r *testutil.Response) {
				if r.String("operator", "name") != "Renamed" {
					t.Fatalf("renamed: %s", r.Raw)
				}
			}},
			{"agent may not change operators", agent, "PATCH", func() string { return "/api/v1/operators/" + f.colleague(t, domain.RoleAgent).ID }, map[string]string{"role": "admin"}, 403, "forbidden", nil},
			{"agent may not promote themselves", agent, "PATCH", func() string { return "/api/v1/operators/" + f.agent.ID }, map[string]string{"role": "admin"}, 403, "forbidden", nil},
			{"another account's operator is not found", other, "PATCH", func() string { return "/api/v1/operators/" + f.colleague(t, domain.RoleAgent).ID }, map[string]string{"name": "X"}, 404, "not_found", nil},
			{"admin deletes an operator", admin, "DELETE", func() string { return "/api/v1/operators/" + f.colleague(t, domain.RoleAgent).ID }, nil, 204, "", nil},
			{"agent may not delete operators", agent, "DELETE", func() string { return "/api/v1/operators/" + f.colleague(t, domain.RoleAgent).ID }, nil, 403, "forbidden", nil},
			{"another account cannot delete", other, "DELETE", func() string { return "/api/v1/operators/" + f.colleague(t, domain.RoleAgent).ID }, nil, 404, "not_found", nil},

			{"admin sees usage", admin, "GET", fixed("/api/v1/usage?months=2"), nil, 200, "", func(t *testing.T, r *testutil.Response) {
				months := r.List("months")
				if len(months) != 2 || months[0].(map[string]any)["month"] != time.Now().UTC().Format("2006-01") ||
					months[0].(map[string]any)["active_operators"] != float64(2) {
					t.Fatalf("usage: %s", r.Raw)
				}
			}},
			{"agent may not see usage", agent, "GET", fixed("/api/v1/usage"), nil, 403, "forbidden", nil},
			{"another account sees only its own usage", other, "GET", fixed("/api/v1/usage?months=1"), nil, 200, "", func(t *testing.T, r *testutil.Response) {
				if m := r.List("months"); len(m) != 1 || m[0].(map[string]any)["active_operators"] != float64(1) {
					t.Fatalf("other account's usage: %s", r.Raw)
				}
			}},

			{"admin adds an account-wide canned response", admin, "POST", fixed("/api/v1/canned-responses"), map[string]string{"scope": "account", "shortcut": "hi", "body": "Hello!"}, 201, "", func(t *testing.T, r *testutil.Response) {
				if r.String("canned_response", "scope") != "account" || r.String("canned_response", "operator_id") != "" {
					t.Fatalf("created: %s", r.Raw)
				}
			}},
			{"agent may not add an account-wide one", agent, "POST", fixed("/api/v1/canned-responses"), map[string]string{"scope": "account", "shortcut": "hey", "body": "Hey"}, 403, "forbidden", nil},
			{"agent adds a personal one", agent, "POST", fixed("/api/v1/canned-responses"), map[string]string{"shortcut": "mine", "body": "Mine"}, 201, "", func(t *testing.T, r *testutil.Response) {
				if r.String("canned_response", "scope") != "personal" || r.String("canned_response", "operator_id") != f.agent.ID {
					t.Fatalf("created: %s", r.Raw)
				}
			}},
			{"agent lists personal then account-wide", agent, "GET", fixed("/api/v1/canned-responses"), nil, 200, "", func(t *testing.T, r *testutil.Response) {
				list := r.List("canned_responses")
				if len(list) < 2 || list[0].(map[string]any)["scope"] != "personal" || list[len(list)-1].(map[string]any)["scope"] != "account" {
					t.Fatalf("agent's canned responses: %s", r.Raw)
				}
			}},
			{"another account sees none of them", other, "GET", fixed("/api/v1/canned-responses"), nil, 200, "", func(t *testing.T, r *testutil.Response) {
				if len(r.List("canned_responses")) != 0 {
					t.Fatalf("other account's canned responses: %s", r.Raw)
				}
			}},
			{"admin changes an account-wide one", admin, "PATCH", func() string { return "/api/v1/canned-responses/" + f.canned(t, f.adminTok, "account", "a1") }, map[string]string{"body": "Changed"}, 200, "", func(t *testing.T, r *testutil.Response) {
				if r.String("canned_response", "body") != "Changed" {
					t.Fatalf("changed: %s", r.Raw)
				}
			}},
			{"agent may not change an account-wide one", agent, "PATCH", func() string { return "/api/v1/canned-responses/" + f.canned(t, f.adminTok, "account", "a2") }, map[string]string{"body": "Changed"}, 403, "forbidden", nil},
			{"agent changes their own", agent, "PATCH", func() string { return "/api/v1/canned-responses/" + f.canned(t, f.agentTok, "personal", "p1") }, map[string]string{"title": "Mine"}, 200, "", nil},
			{"admin cannot reach an agent's personal one", admin, "PATCH", func() string { return "/api/v1/canned-responses/" + f.canned(t, f.agentTok, "personal", "p2") }, map[string]string{"body": "X"}, 404, "not_found", nil},
			{"another account cannot change one", other, "PATCH", func() string { return "/api/v1/canned-responses/" + f.canned(t, f.adminTok, "account", "a3") }, map[string]string{"body": "X"}, 404, "not_found", nil},
			{"admin deletes an account-wide one", admin, "DELETE", func() string { return "/api/v1/canned-responses/" + f.canned(t, f.adminTok, "account", "a4") }, nil, 204, "", nil},
			{"agent may not delete an account-wide one", agent, "DELETE", func() string { return "/api/v1/canned-responses/" + f.canned(t, f.adminTok, "account", "a5") }, nil, 403, "forbidden", nil},
			{"agent deletes their own", agent, "DELETE", func() string { return "/api/v1/canned-responses/" + f.canned(t, f.agentTok, "personal", "p3") }, nil, 204, "", nil},
			{"another account cannot delete one", other, "DELETE", func() string { return "/api/v1/canned-responses/" + f.canned(t, f.adminTok, "account", "a6") }, nil, 404, "not_found", nil},

			{"admin adds a routing rule", admin, "POST", fixed("/api/v1/routing-rules"), map[string]any{"pattern": "/cars/*", "operator_ids": []string{f.agent.ID}}, 201, "", func(t *testing.T, r *testutil.Response) {
				if r.String("routing_rule", "pattern") != "/cars/*" || len(r.List("routing_rule", "operator_ids")) != 1 {
					t.Fatalf("created: %s", r.Raw)
				}
			}},
			{"agent may not add routing rules", agent, "POST", fixed("/api/v1/routing-rules"), map[string]any{"pattern": "/x/*", "operator_ids": []string{f.agent.ID}}, 403, "forbidden", nil},
			{"another account cannot route to this one's operators", other, "POST", fixed("/api/v1/routing-rules"), map[string]any{"pattern": "/x/*", "operator_ids": []string{f.agent.ID}}, 422, "unknown_operator", nil},
			{"admin lists routing rules", admin, "GET", fixed("/api/v1/routing-rules"), nil, 200, "", func(t *testing.T, r *testutil.Response) {
				if len(r.List("routing_rules")) == 0 {
					t.Fatalf("rules: %s", r.Raw)
				}
			}},
			{"agent may not list routing rules", agent, "GET", fixed("/api/v1/routing-rules"), nil, 403, "forbidden", nil},
			{"another account lists none", other, "GET", fixed("/api/v1/routing-rules"), nil, 200, "", func(t *testing.T, r *testutil.Response) {
				if len(r.List("routing_rules")) != 0 {
					t.Fatalf("other account's rules: %s", r.Raw)
				}
			}},
			{"admin changes a rule", admin, "PATCH", func() string { return "/api/v1/routing-rules/" + f.rule(t) }, map[string]any{"pattern": "*/boats/*"}, 200, "", func(t *testing.T, r *testutil.Response) {
				if r.String("routing_rule", "pattern") != "*/boats/*" {
					t.Fatalf("changed: %s", r.Raw)
				}
			}},
			{"agent may not change a rule", agent, "PATCH", func() string { return "/api/v1/routing-rules/" + f.rule(t) }, map[string]any{"pattern": "*"}, 403, "forbidden", nil},
			{"another account cannot change a rule", other, "PATCH", func() string { return "/api/v1/routing-rules/" + f.rule(t) }, map[string]any{"pattern": "*"}, 404, "not_found", nil},
			{"admin deletes a rule", admin, "DELETE", func() string { return "/api/v1/routing-rules/" + f.rule(t) }, nil, 204, "", nil},
			{"agent may not delete a rule", agent, "DELETE", func() string { return "/api/v1/routing-rules/" + f.rule(t) }, nil, 403, "forbidden", nil},
			{"another account cannot delete a rule", other, "DELETE", func() string { return "/api/v1/routing-rules/" + f.rule(t) }, nil, 404, "not_found", nil},
		}
		for _, c := range cases {
			path := c.path()
			r := srv.Do(c.method, path, token[c.caller], c.body)
			if c.code != "" {
				r.WantError(t, c.status, c.code)
			} else {
				r.Want(t, c.status)
			}
			if c.check != nil {
				c.check(t, r)
			}
			if c.method == "DELETE" && c.status >= 400 {
				f.mustStillExist(t, path)
			}
			if t.Failed() {
				t.Fatalf("case %q: %s %s", c.name, c.method, path)
			}
		}
		// The refused requests changed nothing: the agent is still an agent.
		if me := srv.Do("GET", "/api/v1/me", f.agentTok, nil).Want(t, http.StatusOK); me.String("operator", "role") != "agent" {
			t.Fatalf("the agent's role changed: %s", me.Raw)
		}
	})
}

// mustStillExist checks that what a refused DELETE named is still there, as its admin sees it.
func (f *teamFixture) mustStillExist(t *testing.T, path string) {
	t.Helper()
	dir, id := path[:strings.LastIndexByte(path, '/')], path[strings.LastIndexByte(path, '/')+1:]
	list := map[string]string{
		"/api/v1/operators":        "operators",
		"/api/v1/canned-responses": "canned_responses",
		"/api/v1/routing-rules":    "routing_rules",
	}[dir]
	if field(f.srv.Do("GET", dir, f.adminTok, nil).Want(t, http.StatusOK).List(list), id, "id") != id {
		t.Errorf("a refused DELETE %s removed it", path)
	}
}

func fixed(path string) func() string { return func() string { return path } }

// field finds the object with this id in a JSON list and returns one of its fields.
func field(list []any, id, name string) any {
	for _, v := range list {
		if m, ok := v.(map[string]any); ok && m["id"] == id {
			return m[name]
		}
	}
	return nil
}
