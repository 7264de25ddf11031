package postgres_test

import (
	"testing"

	"github.com/portico/portico/internal/store/storetest"
	"github.com/portico/portico/internal/testutil"
)

func TestStore(t *testing.T) {
	storetest.Run(t, testutil.OpenPostgres)
}
