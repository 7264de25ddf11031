// Package portalserver is an example of the portal's side of Portico's external authentication
// (Authenticate, AuthenticateWithToken, LogOut): a portal developer can read it, run it, or embed it.
package portalserver

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// User is one of the portal's accounts.
type User struct {
	Username  string
	Password  string
	Account   string // the advertiser's identifier
	Email     string
	Image     string
	IsMaster  bool
	Suspended bool
}

// Option is a link offered after an error.
type Option struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Server answers the three requests. Create it with New; it is safe for concurrent use.
type Server struct {
	AccessKey string
	// IssueTokens makes logins return an authentication token ("remember me").
	IssueTokens bool
	// Remediation is offered with wrong credentials and suspended accounts.
	Remediation []Option
	// Now is the clock that ages request ids; time.Now by default.
	Now func() time.Time

	mu       sync.Mutex
	users    map[string]*User
	tokens   map[string]string // token → username
	requests map[string]time.Time
	log      []Request
}

// Request is what the server received, kept for tests and for the curious.
type Request struct {
	Name                string
	RequestID           string
	Username            string
	AuthenticationToken string
	IsURLAuthentication string
}

// RequestIDMemory is how long a request id is remembered: twice the client's retry window.
const RequestIDMemory = 120 * time.Second

func New(accessKey string, users ...User) *Server {
	s := &Server{AccessKey: accessKey, Now: time.Now, users: map[string]*User{}, tokens: map[string]string{}, requests: map[string]time.Time{}}
	for _, u := range users {
		s.AddUser(u)
	}
	return s
}

// AddUser adds or replaces a user; changing a user's credentials invalidates their tokens.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.Username] = &u
	for t, name := range s.tokens {
		if name == u.Username {
			delete(s.tokens, t)
		}
	}
}

// IssueToken makes a token for a user, as the portal does for a link to the console
// (`/console/?authenticationToken=…`).
func (s *Server) IssueToken(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newTokenLocked(username)
}

// TokenValid says whether a token still signs its user in.
func (s *Server) TokenValid(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.tokens[token]
	return ok
}

// Requests returns what the server has received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

func (s *Server) newTokenLocked(username string) string {
	b := make([]byte, 20)
	rand.Read(b)
	t := hex.EncodeToString(b)
	s.tokens[t] = username
	return t
}

type answer struct {
	ErrorCode           int      `json:"errorCode"`
	Error               string   `json:"error,omitempty"`
	RemediationOptions  []Option `json:"remediationOptions,omitempty"`
	Account             any      `json:"account,omitempty"`
	Operator            any      `json:"operator,omitempty"`
	AuthenticationToken *string  `json:"authenticationToken,omitempty"`
}

// ServeHTTP answers POST …/Authenticate, …/AuthenticateWithToken and …/LogOut.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	name := r.URL.Path[lastSlash(r.URL.Path)+1:]
	a := s.handle(name, r.PostForm.Get)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(a)
}

func lastSlash(p string) int {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return i
		}
	}
	return -1
}

func (s *Server) handle(name string, get func(string) string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, Request{Name: name, RequestID: get("requestId"), Username: get("username"),
		AuthenticationToken: get("authenticationToken"), IsURLAuthentication: get("isUrlAuthentication")})
	if subtle.ConstantTimeCompare([]byte(get("accessKey")), []byte(s.AccessKey)) != 1 {
		return answer{ErrorCode: 253, Error: "Access denied"}
	}
	now := s.Now()
	for id, at := range s.requests {
		if now.Sub(at) > RequestIDMemory {
			delete(s.requests, id)
		}
	}
	if id := get("requestId"); id != "" {
		if _, seen := s.requests[id]; seen {
			return answer{ErrorCode: 254, Error: "Already processed request"}
		}
		s.requests[id] = now
	}
	switch name {
	case "Authenticate":
		u := s.users[get("username")]
		if u == nil || subtle.ConstantTimeCompare([]byte(get("password")), []byte(u.Password)) != 1 {
			return answer{ErrorCode: 1, Error: "Wrong user name or password", RemediationOptions: s.Remediation}
		}
		return s.okLocked(u, "", false)
	case "AuthenticateWithToken":
		token := get("authenticationToken")
		u := s.users[s.tokens[token]]
		if u == nil {
			return answer{ErrorCode: 1, Error: "Wrong authentication token"}
		}
		return s.okLocked(u, token, get("isUrlAuthentication") == "1")
	case "LogOut":
		delete(s.tokens, get("authenticationToken"))
		return answer{ErrorCode: 0}
	}
	return answer{ErrorCode: 255, Error: "Unknown request " + name}
}

func (s *Server) okLocked(u *User, token string, fromURL bool) answer {
	if u.Suspended {
		return answer{ErrorCode: 2, Error: "This account is suspended", RemediationOptions: s.Remediation}
	}
	a := answer{
		Account:  map[string]string{"identifier": u.Account},
		Operator: map[string]any{"isMaster": u.IsMaster, "email": u.Email, "image": u.Image},
	}
	switch {
	case token == "" && s.IssueTokens:
		t := s.newTokenLocked(u.Username)
		a.AuthenticationToken = &t
	case token != "" && fromURL:
		// A token from an address may have been seen by others: it is used once and replaced.
		delete(s.tokens, token)
		var next string
		if s.IssueTokens {
			next = s.newTokenLocked(u.Username)
		}
		a.AuthenticationToken = &next
	}
	return a
}
