// The retry policy: which refused requests are sent again and how long to wait first. Only 429
// and 503 are retried: the server refused before doing anything (rate limit, no capacity, database
// or host away), so repeating any method is safe. Other failures are the caller's to judge.

package rexec

import (
	"context"
	"math/rand"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy says whether and how long to wait before sending a request the server answered 429
// or 503 again. The zero value never retries.
type RetryPolicy struct {
	// MaxRetries is how many times a request is sent again after the first attempt.
	MaxRetries int
	// MaxDelay caps one wait: a Retry-After longer than this is not waited out, the error is
	// returned at once (its RetryAfter says how long the server asked for). Zero means a minute.
	MaxDelay time.Duration
	// BaseDelay is the first wait when the answer carries no Retry-After (a 503 from the server, or
	// a proxy's 429); it doubles with each retry, with jitter, up to MaxDelay. Default 500 ms.
	BaseDelay time.Duration
}

// DefaultRetryPolicy retries three times and waits at most a minute each time.
var DefaultRetryPolicy = RetryPolicy{MaxRetries: 3, MaxDelay: time.Minute, BaseDelay: 500 * time.Millisecond}

// delay is how long to wait before retry number retry (1-based) of a request refused with err, or
// false when the policy says to give up.
func (p RetryPolicy) delay(retry int, err *Error) (time.Duration, bool) {
	if retry > p.MaxRetries || (err.StatusCode != http.StatusTooManyRequests && err.StatusCode != http.StatusServiceUnavailable) {
		return 0, false
	}
	maxDelay := p.MaxDelay
	if maxDelay <= 0 {
		maxDelay = time.Minute
	}
	wait := err.RetryAfter
	if wait == 0 {
		base := p.BaseDelay
		if base <= 0 {
			base = 500 * time.Millisecond
		}
		wait = base << (retry - 1)
		// Up to a quarter more, so clients refused together do not come back together.
		wait += time.Duration(rand.Int63n(int64(wait)/4 + 1))
		if wait > maxDelay {
			wait = maxDelay
		}
	}
	if wait > maxDelay {
		return 0, false
	}
	return wait, true
}

// retryAfterHeader reads a Retry-After of whole seconds; an HTTP date or garbage counts as absent.
func retryAfterHeader(header http.Header) time.Duration {
	value := strings.TrimSpace(header.Get("Retry-After"))
	seconds, err := strconv.Atoi(value)
	if err != nil || seconds < 0 {
		return 0
	}
	return time.Duration(seconds) * time.Second
}

// sleep waits d or until ctx ends, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
