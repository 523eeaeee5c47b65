// Resuming a terminal after its connection dropped (PROTOCOL.md §10–11): which endings a shell
// survives, and dialling the same session again with backoff until the server reattaches it. The
// reading, writing and ending of a terminal are terminal_session.go's.

package rexec

import (
	"context"
	"errors"
	"math/rand"
	"time"

	"github.com/gorilla/websocket"
)

// resumable: the connection dropped (no exit, no error frame, not our Close) in a way the
// server's shell survives (PROTOCOL.md §10–11: a drop detaches, a shutting-down replica too).
func (t *Terminal) resumable(end linkEnd) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing || t.exitCode != nil || end.server != nil || end.aborted || t.opts.ResumeAttempts < 0 {
		return false
	}
	var closed *websocket.CloseError
	if !errors.As(end.readErr, &closed) {
		return true // no close frame: the connection was cut
	}
	switch closed.Code {
	case websocket.CloseGoingAway, websocket.CloseAbnormalClosure, websocket.CloseInternalServerErr,
		websocket.CloseServiceRestart, websocket.CloseTryAgainLater, closeHeartbeatTimeout, closeServerShuttingDown:
		return true
	}
	return false
}

// resume dials the same session again with backoff. A shell that did not survive (the server
// started a new one) ends the terminal: its output would not continue what was read.
func (t *Terminal) resume(immediately bool) (*link, error) {
	var last error
	for attempt := 1; attempt <= t.opts.ResumeAttempts; attempt++ {
		wait := resumeDelay(attempt)
		if immediately && attempt == 1 {
			wait = 0
		}
		if err := sleep(t.ctx, wait); err != nil {
			return nil, nil
		}
		ctx, cancel := context.WithTimeout(t.ctx, dialTimeout)
		next, err := t.dial(ctx)
		cancel()
		if t.ctx.Err() != nil {
			if next != nil {
				next.conn.Close()
			}
			return nil, nil
		}
		if err == nil {
			if !next.ready.Resumed {
				message := websocket.FormatCloseMessage(closeNormal, "session was lost")
				_ = next.conn.WriteControl(websocket.CloseMessage, message, time.Now().Add(time.Second))
				next.conn.Close()
				return nil, &TerminalError{Code: "session_lost", Message: "the shell did not survive the lost connection"}
			}
			return next, nil
		}
		last = err
		var refusal *Error
		if errors.As(err, &refusal) && refusal.StatusCode != 429 && refusal.StatusCode != 503 {
			break // 401, 404, 409 invalid_state: trying again will not help
		}
		var ended *TerminalError
		if errors.As(err, &ended) {
			break
		}
	}
	return nil, &TerminalError{Code: "connection_lost", Message: "the connection was lost and could not be resumed", Cause: last}
}

func resumeDelay(attempt int) time.Duration {
	wait := 250 * time.Millisecond << (attempt - 1)
	if wait > 5*time.Second {
		wait = 5 * time.Second
	}
	return wait + time.Duration(rand.Int63n(int64(wait)/4+1))
}
