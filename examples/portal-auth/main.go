// Command portal-auth runs the example portal authentication server on 127.0.0.1:8090 with a few
// users. Point a portal's external authentication at http://127.0.0.1:8090/auth (Portico in --dev
// mode) with the access key "example-key".
package main

import (
	"log"
	"net/http"

	"github.com/portico/portico/pkg/portalauth/portalserver"
)

func main() {
	srv := portalserver.New("example-key",
		portalserver.User{Username: "anna", Password: "anna-pass", Account: "estate-1", Email: "anna@estate-1.example", IsMaster: true},
		portalserver.User{Username: "ben", Password: "ben-pass", Account: "estate-1", Email: "ben@estate-1.example"},
		portalserver.User{Username: "carla", Password: "carla-pass", Account: "cars-7", IsMaster: true},
		portalserver.User{Username: "dan", Password: "dan-pass", Account: "cars-7", Suspended: true},
	)
	srv.IssueTokens = true
	srv.Remediation = []portalserver.Option{{Name: "Forgot your password?", URL: "https://portal.example/password"}}
	mux := http.NewServeMux()
	mux.Handle("POST /auth/", srv)
	log.Println("example portal authentication server on http://127.0.0.1:8090/auth")
	log.Fatal(http.ListenAndServe("127.0.0.1:8090", mux))
}
