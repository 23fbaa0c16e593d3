//go:build js

package testserver

import "testing"

func sharedURL(tb testing.TB) string {
	tb.Helper()
	tb.Fatal("testserver: " + EnvVar + " is not set. Under GOOS=js a test cannot start the " +
		"reference server; browser tests are run by `make test`, which starts it " +
		"(node internal/testserver/run.mjs -- go test ...) and sets " + EnvVar + ".")
	return ""
}

func stopShared() {}
