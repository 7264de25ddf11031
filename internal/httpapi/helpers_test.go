package httpapi_test

import (
	"testing"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/testutil"
)

func setPassword(t *testing.T, srv *testutil.Server, operatorID, password string) {
	t.Helper()
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Store.SetOperatorPassword(t.Context(), operatorID, hash); err != nil {
		t.Fatal(err)
	}
}
