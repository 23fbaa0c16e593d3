//go:build !js

package testserver_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// headerHas reports whether the comma-separated header value lists name.
func headerHas(value, name string) bool {
	for _, v := range strings.Split(value, ",") {
		if strings.EqualFold(strings.TrimSpace(v), name) {
			return true
		}
	}
	return false
}

func put(t *testing.T, url string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, nil)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://127.0.0.1:1")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestSharedServerCreatesStreamWithCORS(t *testing.T) {
	base := testserver.URL(t)
	assert.True(t, strings.HasPrefix(base, "http://"), base)
	assert.Equal(t, base, testserver.URL(t), "one shared server per process")

	url := testserver.StreamURL(t)
	require.True(t, strings.HasPrefix(url, base+"/v1/stream/"), url)

	resp := put(t, url)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	allow := resp.Header.Get("Access-Control-Allow-Headers")
	assert.True(t, headerHas(allow, "If-None-Match"), "Access-Control-Allow-Headers: %q", allow)
	expose := resp.Header.Get("Access-Control-Expose-Headers")
	assert.True(t, headerHas(expose, "Stream-SSE-Data-Encoding"), "Access-Control-Expose-Headers: %q", expose)
}

func TestStreamURLIsUniqueAndClean(t *testing.T) {
	t.Run("weird name/with spaces & ümlauts", func(t *testing.T) {
		a, b := testserver.StreamURL(t), testserver.StreamURL(t)
		assert.NotEqual(t, a, b)
		name := a[strings.LastIndex(a, "/")+1:]
		assert.Regexp(t, `^[A-Za-z0-9_-]+$`, name)
		assert.True(t, strings.HasPrefix(name, "TestStreamURLIsUniqueAndClean-weird_name-with_spaces"), name)
	})
}

func TestEnvVarWins(t *testing.T) {
	t.Setenv(testserver.EnvVar, "http://example.invalid:1/")
	assert.Equal(t, "http://example.invalid:1", testserver.URL(t))
}

func TestDedicatedServerWithDataDir(t *testing.T) {
	dir := t.TempDir()
	base := testserver.Start(t, testserver.Options{LongPollMS: 500, DataDir: dir})
	shared := testserver.URL(t)
	assert.NotEqual(t, shared, base)

	resp := put(t, base+"/v1/stream/dedicated")
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.NotEmpty(t, entries, "the server keeps its data in %s", filepath.Clean(dir))
}
