//go:build !js

// Command streamdb-gateway stands in front of a Durable Streams server and
// serves StreamDB clients over WebSockets (wire format: core/wsproto): one
// socket per page for every stream it follows and its appends. The work is
// done by internal/gateway; this program reads flags and signals.
//
// Usage:
//
//	streamdb-gateway -upstream http://127.0.0.1:4437 [-listen 127.0.0.1:8787]
//	    [-origins 'app.example.com,*.example.org'] [-max-buffer 16777216]
//	    [-max-frame 4194304] [-live long-poll|sse] [-shutdown-timeout 10s]
//
// Sockets are accepted at /v1/ws; GET /healthz answers 200 "ok". On SIGINT
// or SIGTERM it stops accepting, ends the subscriptions, waits (at most
// -shutdown-timeout) for the appends in flight to be acknowledged, closes
// every socket with status 1001 (going away) and exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/internal/gateway"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "streamdb-gateway:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then shuts down. When listening is not nil it
// receives the address listened on.
func run(ctx context.Context, args []string, stderr io.Writer, listening chan<- string) error {
	fs := flag.NewFlagSet("streamdb-gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8787", "address to listen on")
	upstream := fs.String("upstream", "", "base URL of the Durable Streams server (required), e.g. http://127.0.0.1:4437")
	origins := fs.String("origins", "", "comma-separated Origin host patterns allowed to open sockets from browsers (default: any origin; the upstream decides what credentials may do)")
	maxBuffer := fs.Int("max-buffer", gateway.DefaultMaxBuffer, "bytes queued for one socket before it is closed with 4000 (too slow)")
	maxFrame := fs.Int("max-frame", gateway.DefaultMaxFrame, "largest client frame in bytes")
	partBytes := fs.Int("part-bytes", gateway.DefaultPartBytes, "about the most one catch-up frame carries (a larger upstream response is sent in parts)")
	live := fs.String("live", string(stream.LiveLongPoll), "upstream live mode: long-poll or sse")
	grace := fs.Duration("shutdown-timeout", 10*time.Second, "longest wait for appends in flight on shutdown")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *upstream == "" {
		fs.Usage()
		return errors.New("-upstream is required")
	}
	if *maxBuffer <= 0 || *maxFrame <= 0 || *partBytes <= 0 {
		return fmt.Errorf("-max-buffer (%d), -max-frame (%d) and -part-bytes (%d) must be positive", *maxBuffer, *maxFrame, *partBytes)
	}
	var patterns []string
	for _, p := range strings.Split(*origins, ",") {
		if p = strings.TrimSpace(p); p != "" {
			patterns = append(patterns, p)
		}
	}
	logger := log.New(stderr, "", log.LstdFlags)
	gw, err := gateway.New(gateway.Options{
		Upstream:       *upstream,
		OriginPatterns: patterns,
		MaxBuffer:      *maxBuffer,
		MaxFrame:       *maxFrame,
		PartBytes:      *partBytes,
		Live:           stream.LiveMode(*live),
		Logf:           logger.Printf,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: gw, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Printf("streamdb-gateway: listening on %s (sockets at ws://%s/v1/ws), upstream %s, live %s",
		ln.Addr(), ln.Addr(), *upstream, *live)
	if listening != nil {
		listening <- ln.Addr().String()
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Printf("streamdb-gateway: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Shutdown(sctx) }()
	if err := gw.Shutdown(sctx); err != nil {
		logger.Printf("streamdb-gateway: %v: sockets left were closed at once", err)
	}
	if err := <-httpDone; err != nil {
		logger.Printf("streamdb-gateway: http shutdown: %v", err)
	}
	logger.Printf("streamdb-gateway: stopped")
	return nil
}
