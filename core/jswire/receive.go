package jswire

import (
	"strings"
	"time"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/jsonscan"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/value"
	"github.com/streamdb/streamdb/internal/strfmt"
)

// OpenConfig is dbOpen's configuration.
type OpenConfig struct {
	// URL is the stream's URL.
	URL string
	// Options holds the collections, the live mode, the txid limit and
	// the read headers; the bridge adds the callbacks.
	Options db.Options
	// Gateway is the WebSocket gateway's socket URL when the stream is
	// followed through one (live "websocket"); the bridge then sets
	// Options.Source.
	Gateway string
}

// ParseOpenConfig parses dbOpen's config text. Headers whose value is not
// a string are ignored, as are a maxTxIds or taskBudgetMs that is not a
// positive number. idleTimeoutMs 0 turns the idle rule off; a negative
// one is ignored.
func ParseOpenConfig(text string) (OpenConfig, error) {
	v, err := value.ParseString(text)
	if err != nil || v.Kind() != value.KindObject {
		return OpenConfig{}, argErrorf("dbOpen: config must be a JSON object")
	}
	var c OpenConfig
	c.URL, _ = v.Get("url").Str()
	if c.URL == "" {
		return OpenConfig{}, argErrorf("dbOpen: config.url must be a non-empty string")
	}
	c.Options.ReadHeader = headerFields(v.Get("headers"))
	c.Options.ReadParams = stringFields(v.Get("params"), nil)
	switch l, _ := v.Get("live").Str(); l {
	case "", "long-poll":
		c.Options.Live = db.LiveLongPoll
	case "sse":
		c.Options.Live = db.LiveSSE
	case "off":
		c.Options.Live = db.LiveOff
	case "websocket":
		c.Gateway, _ = v.Get("websocket").Get("url").Str()
		if c.Gateway == "" {
			return OpenConfig{}, argErrorf("dbOpen: live websocket needs config.websocket.url, the gateway's socket URL")
		}
	default:
		return OpenConfig{}, argErrorf("dbOpen: config.live must be long-poll, sse, off or websocket, got %q", l)
	}
	v.Get("collections").Elems(func(_ int, e value.Value) bool {
		var d db.CollectionDef
		d.Name, _ = e.Get("name").Str()
		d.Type, _ = e.Get("type").Str()
		d.PrimaryKey, _ = e.Get("primaryKey").Str()
		d.ID, _ = e.Get("id").Str()
		c.Options.Collections = append(c.Options.Collections, d)
		return true
	})
	c.Options.VirtualProps, _ = v.Get("virtualProps").BoolVal()
	if n, ok := v.Get("maxTxIds").Num(); ok && n > 0 {
		c.Options.MaxTxIDs = int(n)
	}
	if ms, ok := v.Get("taskBudgetMs").Num(); ok && ms > 0 && ms < 1e9 {
		c.Options.Budget = time.Duration(ms * float64(time.Millisecond))
	}
	if n, ok := v.Get("maxEventBytes").Num(); ok && n >= 1 && n < 1<<31 {
		c.Options.MaxEventBytes = int(n)
	}
	if r := v.Get("retry"); r.Kind() == value.KindObject {
		p, err := retryPolicy(r)
		if err != nil {
			return OpenConfig{}, err
		}
		c.Options.Retry = &p
	}
	if ms, ok := v.Get("persistEveryMs").Num(); ok && ms > 0 && ms < 1e12 {
		c.Options.PersistEvery = time.Duration(ms * float64(time.Millisecond))
	}
	switch ms, ok := v.Get("idleTimeoutMs").Num(); {
	case !ok:
	case ms == 0:
		c.Options.IdleTimeout = -1 // never
	case ms > 0 && ms < 1e12:
		c.Options.IdleTimeout = time.Duration(ms * float64(time.Millisecond))
	}
	return c, nil
}

// ParseRefresh parses what the shim's refresh function resolves to:
// {"headers": {NAME: STRING}, "params": {NAME: STRING}}; values that are
// not strings are left out.
func ParseRefresh(text string) (stream.Header, map[string]string, error) {
	v, err := value.ParseString(text)
	if err != nil || v.Kind() != value.KindObject {
		return nil, nil, argErrorf("refresh: want a JSON object of headers and params")
	}
	return headerFields(v.Get("headers")), stringFields(v.Get("params"), nil), nil
}

// stringFields returns the fields of the object v whose values are
// strings, in order (a later field wins), with their names passed through
// name when it is not nil; nil when there are none.
func stringFields(v value.Value, name func(string) string) map[string]string {
	var out map[string]string
	v.Fields(func(k string, x value.Value) bool {
		if s, ok := x.Str(); ok {
			if out == nil {
				out = map[string]string{}
			}
			if name != nil {
				k = name(k)
			}
			out[k] = s
		}
		return true
	})
	return out
}

// headerFields is stringFields as header fields: names in lower case, as
// stream.Header keeps them.
func headerFields(v value.Value) stream.Header {
	return stringFields(v, strings.ToLower)
}

// ParseRetry parses the JSON text of a retry object (see retryPolicy), as
// append's options carry it.
func ParseRetry(text string) (stream.RetryPolicy, error) {
	v, err := value.ParseString(text)
	if err != nil || v.Kind() != value.KindObject {
		return stream.RetryPolicy{}, argErrorf("append: options.retry must be the JSON text of an object")
	}
	return retryPolicy(v)
}

// retryPolicy reads a config's retry object: {maxRetries, initialDelayMs,
// maxDelayMs, multiplier}, each optional (the default policy's value).
func retryPolicy(r value.Value) (stream.RetryPolicy, error) {
	p := stream.DefaultRetryPolicy()
	if n, ok := r.Get("maxRetries").Num(); ok {
		if n < 0 || n != float64(int64(n)) {
			return p, argErrorf("dbOpen: config.retry.maxRetries must be a whole number, 0 or more, got %v", n)
		}
		p.MaxRetries = int(min(n, float64(stream.RetryForever)))
	}
	ms := func(name string, d *time.Duration) {
		if n, ok := r.Get(name).Num(); ok {
			*d = time.Duration(n * float64(time.Millisecond))
		}
	}
	ms("initialDelayMs", &p.InitialDelay)
	ms("maxDelayMs", &p.MaxDelay)
	if n, ok := r.Get("multiplier").Num(); ok {
		p.Multiplier = n
	}
	if err := p.Validate(); err != nil {
		return p, argErrorf("dbOpen: config.retry: %v", err)
	}
	return p, nil
}

// ParseNames parses dbFollow's names, a JSON array of strings; elements
// that are not strings are ignored.
func ParseNames(text string) ([]string, error) {
	v, err := value.ParseString(text)
	if err != nil || v.Kind() != value.KindArray {
		return nil, argErrorf("dbFollow: names must be a JSON array")
	}
	var names []string
	v.Elems(func(_ int, e value.Value) bool {
		if s, ok := e.Str(); ok {
			names = append(names, s)
		}
		return true
	})
	return names, nil
}

// ParseQuery parses queryOpen's query IR. A bad query is an *ir.Error
// (a QueryCompileError in JS).
func ParseQuery(text string) (*ir.Query, error) {
	return ir.Parse([]byte(text))
}

// ParseStoredString decodes the JSON text of a string argument that must
// equal a stored string (an ID, a collection NAME, a txid) and was not
// well-formed UTF-16, so the shim sent it as [JSON] (see the wire format).
// The text is decoded as the stream's JSON is: a lone surrogate (\ud800)
// becomes its WTF-8 form, the bytes a stored key holds for it, never
// U+FFFD. Anything but one JSON string literal is an *ArgError naming the
// argument, name.
func ParseStoredString(name, text string) (string, error) {
	s, err := jsonscan.Unquote([]byte(text))
	if err != nil {
		return "", argErrorf("%s: [JSON] must hold a JSON string: %v", name, err)
	}
	return s, nil
}

// Mutate applies txMutate: op is "insert", "update" or "delete"; valueText
// is the row to insert or the fields an update changes (unused for a
// delete). An insert with a key inserts under it (a local collection's
// row); without one the key is the row's primary-key field.
func Mutate(tx *db.Tx, op, collection, key, valueText string) error {
	var v value.Value
	switch op {
	case "insert", "update":
		var err error
		if v, err = value.ParseString(valueText); err != nil {
			return argErrorf("%s: value is not JSON: %v", op, err)
		}
	case "delete":
	default:
		return argErrorf("unknown operation %q", op)
	}
	switch {
	case op == "insert" && key != "":
		return tx.InsertKey(collection, key, v)
	case op == "insert":
		return tx.Insert(collection, v)
	case op == "update":
		return tx.Update(collection, key, v)
	}
	return tx.Delete(collection, key)
}

// argErrorf returns an *ArgError with a formatted message.
func argErrorf(format string, a ...any) error {
	return &ArgError{Msg: "streamdb: " + strfmt.Sprintf(format, a...)}
}
