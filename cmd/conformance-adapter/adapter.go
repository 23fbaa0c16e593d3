//go:build !js

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/streamdb/streamdb/core/stream"
)

const (
	clientName    = "streamdb-go"
	clientVersion = "0.1.0"

	// commandTimeout bounds every command but live reads (which have their
	// own timeoutMs): the runner gives up on a command after 30 s.
	commandTimeout = 25 * time.Second

	defaultContentType = "application/octet-stream"
	defaultReadTimeout = 5 * time.Second
	defaultMaxChunks   = 100
)

// adapterRetryPolicy recovers from a few transient failures, honouring
// Retry-After, yet gives up well within the runner's 30 s command timeout:
// the backoff bounds are 0.1, 0.2, 0.4, 0.8, 1.6 and then 2 s, so eight
// retries wait at most 9.1 s in all (about half that on average, with full
// jitter), plus any Retry-After floors.
func adapterRetryPolicy() stream.RetryPolicy {
	return stream.RetryPolicy{MaxRetries: 8, InitialDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second, Multiplier: 2}
}

// producerKey names a producer kept across commands.
type producerKey struct {
	path  string
	id    string
	epoch int64
}

// adapter holds the state kept across commands: one adapter serves the
// whole conformance run.
type adapter struct {
	transport stream.Transport
	logf      func(format string, args ...any)
	now       func() time.Time

	serverURL    string
	client       *stream.Client
	contentTypes map[string]string // by stream path
	producers    map[producerKey]*stream.Producer
	headers      dynamicSet
	params       dynamicSet
}

func newAdapter(t stream.Transport) *adapter {
	return &adapter{
		transport: t,
		logf:      log.New(os.Stderr, "conformance-adapter: ", log.Lmicroseconds).Printf,
		now:       time.Now,
	}
}

// serve runs the command loop until shutdown or the end of the input.
func (a *adapter) serve(ctx context.Context, in io.Reader, out io.Writer) error {
	r := bufio.NewReaderSize(in, 1<<20)
	w := bufio.NewWriter(out)
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			res, stop := a.handleLine(ctx, line)
			if werr := writeResult(w, res); werr != nil {
				return werr
			}
			if stop {
				return nil
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// writeResult writes one result line and flushes it.
func writeResult(w *bufio.Writer, res result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		return err
	}
	return w.Flush()
}

// handleLine decodes and runs one command. It reports whether the adapter
// should stop.
func (a *adapter) handleLine(ctx context.Context, line []byte) (result, bool) {
	c, err := decodeCommand(line)
	if err != nil {
		return errorResult("unknown", &adapterError{code: errParse, message: err.Error()}), false
	}
	if c.Type == "shutdown" {
		return ok("shutdown"), true
	}
	if c.Type != "init" && c.Type != "validate" && a.client == nil {
		return errorResult(c.Type, &adapterError{code: errInternal, message: "init was not sent first"}), false
	}
	res, err := a.handle(ctx, c)
	if err != nil {
		a.logf("%s %s: %v", c.Type, c.Path, err)
		return errorResult(c.Type, err), false
	}
	return res, false
}

// handle runs one decoded command.
func (a *adapter) handle(ctx context.Context, c *command) (result, error) {
	switch c.Type {
	case "init":
		return a.init(c)
	case "validate":
		return validate(c)
	case "set-dynamic-header":
		return ok(c.Type), a.headers.set(c.Name, c.ValueType, c.InitialValue, true)
	case "set-dynamic-param":
		return ok(c.Type), a.params.set(c.Name, c.ValueType, "", false)
	case "clear-dynamic":
		a.headers.clear()
		a.params.clear()
		return ok(c.Type), nil
	case "read":
		return a.read(ctx, c)
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	switch c.Type {
	case "create":
		return a.create(ctx, c)
	case "connect":
		return a.connect(ctx, c)
	case "append":
		return a.appendData(ctx, c)
	case "head":
		return a.head(ctx, c)
	case "delete":
		return a.delete(ctx, c)
	case "close":
		return a.closeStream(ctx, c)
	case "idempotent-append":
		return a.idempotentAppend(ctx, c)
	case "idempotent-append-batch":
		return a.idempotentAppendBatch(ctx, c)
	case "idempotent-close":
		return a.idempotentClose(ctx, c)
	case "idempotent-detach":
		return a.idempotentDetach(ctx, c)
	}
	return nil, &adapterError{code: errNotSupported, message: fmt.Sprintf("unknown command type %q", c.Type)}
}

func (a *adapter) init(c *command) (result, error) {
	u := strings.TrimRight(c.ServerURL, "/")
	if u == "" {
		return nil, invalidArgument("init: serverUrl is empty")
	}
	policy := adapterRetryPolicy()
	client, err := stream.NewClient(a.transport, stream.Options{Retry: &policy})
	if err != nil {
		return nil, err
	}
	a.serverURL, a.client = u, client
	a.contentTypes = map[string]string{}
	a.producers = map[producerKey]*stream.Producer{}
	a.headers.clear()
	a.params.clear()
	res := ok("init")
	res["clientName"] = clientName
	res["clientVersion"] = clientVersion
	res["features"] = map[string]bool{
		"batching":       true,
		"sse":            true,
		"longPoll":       true,
		"auto":           true,
		"streaming":      true,
		"dynamicHeaders": true,
		"retryOptions":   true,
		// Not declared: strictZeroValidation and batchItems, because
		// ProducerOptions takes 0 for maxBatchBytes and maxBatchItems to
		// mean "use the default" rather than rejecting it.
	}
	return res, nil
}

// stream returns a handle on the stream at path, with its content type
// when known so that appends need not ask the server first. params, when
// set, are added to the URL as a query.
func (a *adapter) stream(path string, params map[string]string) *stream.Stream {
	u := a.serverURL + path
	if len(params) > 0 {
		q := url.Values{}
		for k, v := range params {
			q.Set(k, v)
		}
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + q.Encode()
	}
	s := a.client.Stream(u)
	if ct := a.contentTypes[path]; ct != "" {
		s.SetContentType(ct)
	}
	return s
}

// header converts a command's header map.
func header(m map[string]string) stream.Header {
	if len(m) == 0 {
		return nil
	}
	h := make(stream.Header, len(m))
	for k, v := range m {
		h.Set(k, v)
	}
	return h
}

// requestHeaders builds the header of an append or read command: the
// dynamic headers (evaluated once for this command), then the command's
// own, which win. It also returns what was sent for each dynamic header.
func (a *adapter) requestHeaders(cmd map[string]string) (stream.Header, map[string]string) {
	dyn := a.headers.resolve(a.now())
	h := make(stream.Header, len(dyn)+len(cmd))
	for k, v := range dyn {
		h.Set(k, v)
	}
	for k, v := range cmd {
		h.Set(k, v)
	}
	var sent map[string]string
	if len(dyn) > 0 {
		sent = make(map[string]string, len(dyn))
		for k := range dyn {
			sent[k] = h.Get(k)
		}
	}
	return h, sent
}

// addSent adds headersSent and paramsSent to a result when there were any.
func addSent(res result, headersSent, paramsSent map[string]string) {
	if len(headersSent) > 0 {
		res["headersSent"] = headersSent
	}
	if len(paramsSent) > 0 {
		res["paramsSent"] = paramsSent
	}
}

func (a *adapter) create(ctx context.Context, c *command) (result, error) {
	ct := c.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	o := stream.CreateOptions{ContentType: ct, Closed: c.Closed, Header: header(c.Headers)}
	if c.TTLSeconds != nil {
		if *c.TTLSeconds < 0 || *c.TTLSeconds > math.MaxInt64/int64(time.Second) {
			return nil, invalidArgument("create %s: ttlSeconds %d is out of range", c.Path, *c.TTLSeconds)
		}
		o.TTL = time.Duration(*c.TTLSeconds) * time.Second
	}
	if c.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339Nano, c.ExpiresAt)
		if err != nil {
			return nil, invalidArgument("create %s: expiresAt %q is not an RFC 3339 time", c.Path, c.ExpiresAt)
		}
		o.ExpiresAt = t
	}
	if c.Data != nil {
		o.Body = []byte(*c.Data)
	}
	res, err := a.stream(c.Path, nil).Create(ctx, o)
	if err != nil {
		return nil, err
	}
	a.contentTypes[c.Path] = ct
	out := ok(c.Type)
	out["status"] = res.Status
	if res.Offset != "" {
		out["offset"] = res.Offset
	}
	return out, nil
}

func (a *adapter) connect(ctx context.Context, c *command) (result, error) {
	m, err := a.headStream(ctx, c)
	if err != nil {
		return nil, err
	}
	out := ok(c.Type)
	out["status"] = 200
	if m.Offset != "" {
		out["offset"] = m.Offset
	}
	return out, nil
}

// headStream asks for a stream's metadata and remembers its content type.
func (a *adapter) headStream(ctx context.Context, c *command) (stream.Metadata, error) {
	m, err := a.stream(c.Path, nil).Head(ctx, header(c.Headers))
	if err == nil && m.ContentType != "" {
		a.contentTypes[c.Path] = m.ContentType
	}
	return m, err
}

func (a *adapter) head(ctx context.Context, c *command) (result, error) {
	m, err := a.headStream(ctx, c)
	if err != nil {
		return nil, err
	}
	out := ok(c.Type)
	out["status"] = 200
	out["streamClosed"] = m.Closed
	if m.Offset != "" {
		out["offset"] = m.Offset
	}
	if m.ContentType != "" {
		out["contentType"] = m.ContentType
	}
	if m.TTL > 0 {
		out["ttlSeconds"] = int64(m.TTL / time.Second)
	}
	if m.ExpiresAt != "" {
		out["expiresAt"] = m.ExpiresAt
	}
	return out, nil
}

func (a *adapter) delete(ctx context.Context, c *command) (result, error) {
	if err := a.stream(c.Path, nil).Delete(ctx, header(c.Headers)); err != nil {
		return nil, err
	}
	delete(a.contentTypes, c.Path)
	out := ok(c.Type)
	out["status"] = 200
	return out, nil
}

func (a *adapter) appendData(ctx context.Context, c *command) (result, error) {
	var data []byte
	if c.Data != nil {
		data = []byte(*c.Data)
	}
	if c.Binary {
		dec, err := base64.StdEncoding.DecodeString(string(data))
		if err != nil {
			return nil, invalidArgument("append %s: binary data is not base64: %v", c.Path, err)
		}
		data = dec
	}
	h, headersSent := a.requestHeaders(c.Headers)
	params := a.params.resolve(a.now())
	o := stream.AppendOptions{Header: h}
	if c.Seq != "" {
		o.Seq = c.Seq.String()
	}
	res, err := a.stream(c.Path, params).Append(ctx, data, o)
	if err != nil {
		if len(data) == 0 && stream.CodeOf(err) == stream.CodeInvalidArgument {
			// The client refuses an empty append before sending it, as
			// the protocol's server would with 400 Bad Request.
			return nil, &adapterError{code: errInvalidArgument, status: 400, message: err.Error()}
		}
		return nil, err
	}
	out := ok(c.Type)
	out["status"] = 200
	if res.Offset != "" {
		out["offset"] = res.Offset
	}
	addSent(out, headersSent, params)
	return out, nil
}

func (a *adapter) closeStream(ctx context.Context, c *command) (result, error) {
	s := a.stream(c.Path, nil)
	if s.ContentType() == "" && c.ContentType != "" {
		s.SetContentType(c.ContentType)
	}
	var o stream.CloseOptions
	if c.Data != nil {
		o.Body = []byte(*c.Data)
	}
	res, err := s.Close(ctx, o)
	if err != nil {
		return nil, err
	}
	out := ok(c.Type)
	out["status"] = 200
	out["finalOffset"] = res.FinalOffset
	return out, nil
}

// producer returns the producer kept for (path, producerId, epoch),
// creating it on first use.
func (a *adapter) producer(c *command) (*stream.Producer, error) {
	key := producerKey{path: c.Path, id: c.ProducerID, epoch: c.Epoch}
	if p := a.producers[key]; p != nil {
		return p, nil
	}
	p, err := a.stream(c.Path, nil).Producer(c.ProducerID, stream.ProducerOptions{
		Epoch: c.Epoch, AutoClaim: c.AutoClaim, Header: header(c.Headers)})
	if err != nil {
		return nil, err
	}
	a.producers[key] = p
	return p, nil
}

func (a *adapter) idempotentAppend(ctx context.Context, c *command) (result, error) {
	p, err := a.producer(c)
	if err != nil {
		return nil, err
	}
	var data []byte
	if c.Data != nil {
		data = []byte(*c.Data)
	}
	if err := p.Append(ctx, data); err != nil {
		return nil, err
	}
	if err := p.Flush(ctx); err != nil {
		return nil, err
	}
	out := ok(c.Type)
	out["status"] = 200
	if off := p.Offset(); off != "" {
		out["offset"] = off
	}
	return out, nil
}

// idempotentAppendBatch sends the items through a producer of its own,
// then detaches it. With maxInFlight above 1 every item gets a POST of its
// own, so that several are in flight at once.
func (a *adapter) idempotentAppendBatch(ctx context.Context, c *command) (result, error) {
	o := stream.ProducerOptions{Epoch: c.Epoch, AutoClaim: c.AutoClaim, Header: header(c.Headers), MaxInFlight: 1}
	if c.MaxInFlight != nil && *c.MaxInFlight > 1 {
		o.MaxInFlight = *c.MaxInFlight
		o.MaxBatchBytes = 1
	}
	p, err := a.stream(c.Path, nil).Producer(c.ProducerID, o)
	if err != nil {
		return nil, err
	}
	for _, it := range c.Items {
		if err := p.Append(ctx, []byte(it)); err != nil {
			return nil, err
		}
	}
	if err := p.Detach(ctx); err != nil {
		return nil, err
	}
	out := ok(c.Type)
	out["status"] = 200
	return out, nil
}

func (a *adapter) idempotentClose(ctx context.Context, c *command) (result, error) {
	p, err := a.producer(c)
	if err != nil {
		return nil, err
	}
	var final []byte
	if c.Data != nil {
		final = []byte(*c.Data)
	}
	res, err := p.Close(ctx, final)
	if err != nil {
		return nil, err
	}
	out := ok(c.Type)
	out["status"] = 200
	if res.FinalOffset != "" {
		out["finalOffset"] = res.FinalOffset
	}
	return out, nil
}

func (a *adapter) idempotentDetach(ctx context.Context, c *command) (result, error) {
	key := producerKey{path: c.Path, id: c.ProducerID, epoch: c.Epoch}
	if p := a.producers[key]; p != nil {
		delete(a.producers, key)
		if err := p.Detach(ctx); err != nil {
			return nil, err
		}
	}
	out := ok(c.Type)
	out["status"] = 200
	return out, nil
}

// validate builds the object a validate command describes, with no
// request, and reports whether the client accepts it.
func validate(c *command) (result, error) {
	t := c.Target
	if t == nil {
		return nil, invalidArgument("validate: no target")
	}
	switch t.Target {
	case "retry-options":
		p := stream.DefaultRetryPolicy()
		if t.MaxRetries != nil {
			p.MaxRetries = int(*t.MaxRetries)
		}
		if t.InitialDelayMs != nil {
			p.InitialDelay = millis(*t.InitialDelayMs)
		}
		if t.MaxDelayMs != nil {
			p.MaxDelay = millis(*t.MaxDelayMs)
		}
		if t.Multiplier != nil {
			p.Multiplier = *t.Multiplier
		}
		if err := p.Validate(); err != nil {
			return nil, err
		}
	case "idempotent-producer":
		id := "producer"
		if t.ProducerID != nil {
			id = *t.ProducerID
		}
		var o stream.ProducerOptions
		if t.Epoch != nil {
			o.Epoch = int64(*t.Epoch)
		}
		if t.MaxBatchBytes != nil {
			o.MaxBatchBytes = int(*t.MaxBatchBytes)
		}
		if t.MaxBatchItems != nil {
			o.MaxBatchItems = int(*t.MaxBatchItems)
		}
		// A handle makes no request, and neither does Producer.
		client, err := stream.NewClient(stream.TransportFunc(noNetwork), stream.Options{})
		if err != nil {
			return nil, err
		}
		if _, err := client.Stream("http://validate.invalid/s").Producer(id, o); err != nil {
			return nil, err
		}
	default:
		return nil, &adapterError{code: errNotSupported, message: fmt.Sprintf("validate: unknown target %q", t.Target)}
	}
	return ok(c.Type), nil
}

// millis converts a number of milliseconds to a Duration.
func millis(ms float64) time.Duration {
	return time.Duration(ms * float64(time.Millisecond))
}

var errNoNetwork = errors.New("validate makes no requests")

func noNetwork(context.Context, *stream.Request) (*stream.Response, error) {
	return nil, errNoNetwork
}
