package stream

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	"github.com/streamdb/streamdb/internal/strfmt"
)

// RetryForever as RetryPolicy.MaxRetries never gives up on transient
// failures; the caller's context bounds the work instead.
const RetryForever = math.MaxInt

// RetryPolicy says how the client retries transient failures: 5xx and 429
// responses and requests that got no response (refused, reset, dropped
// mid-body). Each delay is a random duration in [0, d) ("full jitter"),
// where d starts at InitialDelay and is multiplied by Multiplier after each
// attempt, capped at MaxDelay; a Retry-After header is a floor on the delay.
type RetryPolicy struct {
	// MaxRetries is how many times a request is retried after its first
	// attempt. 0 disables retries; RetryForever never gives up.
	MaxRetries int
	// InitialDelay is the first backoff bound. It must be positive.
	InitialDelay time.Duration
	// MaxDelay caps the backoff bound. It must be at least InitialDelay.
	MaxDelay time.Duration
	// Multiplier grows the bound after each attempt. It must be at least 1.
	Multiplier float64
}

// DefaultRetryPolicy retries forever, from 100 ms up to 30 s, doubling.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: RetryForever, InitialDelay: 100 * time.Millisecond, MaxDelay: 30 * time.Second, Multiplier: 2}
}

// Validate reports the first field that is out of range, naming it.
func (p RetryPolicy) Validate() error {
	switch {
	case p.MaxRetries < 0:
		return invalidArg("maxRetries must be 0 or more, got %d", p.MaxRetries)
	case p.InitialDelay <= 0:
		return invalidArg("initialDelayMs must be positive, got %v", p.InitialDelay)
	case p.MaxDelay < p.InitialDelay:
		return invalidArg("maxDelayMs (%v) must not be less than initialDelayMs (%v)", p.MaxDelay, p.InitialDelay)
	case p.Multiplier < 1 || math.IsNaN(p.Multiplier) || math.IsInf(p.Multiplier, 0):
		return invalidArg("multiplier must be at least 1, got %v", p.Multiplier)
	}
	return nil
}

func invalidArg(format string, args ...any) error {
	return &Error{Code: CodeInvalidArgument, Message: strfmt.Sprintf(format, args...)}
}

// backoff tracks the retries of one operation.
type backoff struct {
	policy  RetryPolicy
	attempt int
	bound   time.Duration
}

func newBackoff(p RetryPolicy) *backoff { return &backoff{policy: p, bound: p.InitialDelay} }

// reset forgets earlier failures after a success.
func (b *backoff) reset() { b.attempt, b.bound = 0, b.policy.InitialDelay }

// wait counts one more retry, tells onRetry (when set) of it and of the
// failure it follows, and sleeps before it, honouring floor (from
// Retry-After). ok is false when retries are used up (then nothing is
// told); err is ctx's error when ctx ends.
func (b *backoff) wait(ctx context.Context, floor time.Duration, failed *Error, onRetry func(Retry)) (ok bool, err error) {
	d, ok := b.next(floor)
	if !ok {
		return false, nil
	}
	if onRetry != nil {
		onRetry(Retry{Attempt: b.attempt, Delay: d, Err: failed})
	}
	return true, sleep(ctx, d)
}

// next counts one more retry and returns how long to wait before it; ok
// is false when retries are used up.
func (b *backoff) next(floor time.Duration) (d time.Duration, ok bool) {
	if b.attempt >= b.policy.MaxRetries {
		return 0, false
	}
	b.attempt++
	d = time.Duration(rand.Int64N(int64(b.bound) + 1))
	d = max(d, floor)
	next := time.Duration(float64(b.bound) * b.policy.Multiplier)
	b.bound = min(max(next, b.bound), b.policy.MaxDelay)
	return d, true
}

// Retry describes one retry of a read, for ReadOptions.OnRetry.
type Retry struct {
	// Attempt counts the retries since the last success, from 1.
	Attempt int
	// Delay is how long the reader waits before it.
	Delay time.Duration
	// Err is the failure retried: an *Error with the status (0 when no
	// answer came) and the cause.
	Err *Error
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryable reports whether a response status is a transient failure.
func retryable(status int) bool { return status == 429 || status >= 500 }
