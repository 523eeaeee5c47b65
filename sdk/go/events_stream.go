// The live event stream (GET /events/stream, Server-Sent Events): an iterator over typed events
// that reconnects after a dropped connection with Last-Event-ID, so the server resumes right after
// the last event delivered: none lost, none repeated. Parsing the frames is sse.go's.

package rexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

const (
	// defaultStreamRetry is the wait before the first reconnect until the server sends `retry:`.
	defaultStreamRetry = time.Second
	// maxStreamRetry bounds the backoff between failed reconnects.
	maxStreamRetry = 30 * time.Second
	// streamIdleTimeout is how long a connection may say nothing, not even the 15 s heartbeat,
	// before it counts as dropped (a half-open socket never reports an error by itself).
	streamIdleTimeout = 45 * time.Second
)

// EventStream is a live GET /events/stream; see EventsService.Stream. Next, Event and Err belong
// to one goroutine; Close may be called from any.
type EventStream struct {
	api     *api
	ctx     context.Context
	cancel  context.CancelFunc
	target  *url.URL
	lastID  string
	retry   time.Duration
	body    io.Closer
	frames  *sseReader
	idle    *time.Timer
	current Event
	err     error
	done    bool

	closed     int32
	reconnects int32
}

// Stream opens the live stream of the events q's filters let through (q.Limit is ignored): from
// now, or right after the event q.Cursor names. It returns once the server accepted the request,
// so a refusal (401, 403 for All without admin rights, 400 for an unknown type or cursor) is its
// error. Then:
//
//	stream, err := client.Events.Stream(ctx, rexec.EventsQuery{Type: []string{"container.*"}})
//	if err != nil { … }
//	defer stream.Close()
//	for stream.Next() {
//		event := stream.Event()
//		fmt.Println(event.Type, event.ContainerID, event.Reason())
//	}
//	if err := stream.Err(); err != nil { … } // nil after Close
//
// When the connection drops (a network failure, a server restart, 45 s without even a
// heartbeat) Next reconnects on its own, sending Last-Event-ID, after the server's `retry:` delay
// and then with a backoff bounded at 30 s, for as long as ctx lives; a reconnect the server
// refuses for good (401, 403, 400, 404) ends the stream with that error. ctx bounds the whole
// stream, so it should not carry a short deadline; neither should WithHTTPClient's Timeout.
func (s *EventsService) Stream(ctx context.Context, q EventsQuery) (*EventStream, error) {
	if s.api.initErr != nil {
		return nil, s.api.initErr
	}
	streamCtx, cancel := context.WithCancel(ctx)
	stream := &EventStream{
		api:    s.api,
		ctx:    streamCtx,
		cancel: cancel,
		target: s.api.endpoint("/events/stream", q.filters()),
		lastID: q.Cursor,
		retry:  defaultStreamRetry,
	}
	if err := stream.connect(); err != nil {
		cancel()
		return nil, err
	}
	return stream, nil
}

// Next waits for the next event, reconnecting as needed. It returns false once the stream ended:
// Close was called (Err is nil), ctx ended or the server refused a reconnect (see Err).
func (st *EventStream) Next() bool {
	for !st.done {
		if st.frames == nil {
			if err := st.reconnect(); err != nil {
				st.finish(err)
				break
			}
		}
		message, err := st.frames.next()
		if err != nil {
			// Dropped, ended by the server, or idle too long: resume after the last event delivered.
			st.hangUp()
			if st.ctx.Err() != nil {
				st.finish(st.ctx.Err())
				break
			}
			continue
		}
		if message.retry > 0 {
			st.retry = message.retry
		}
		if message.data == nil {
			continue // a comment (heartbeat), or a retry or id alone
		}
		var event Event
		if err := json.Unmarshal(message.data, &event); err != nil || event.ID == "" {
			st.finish(&Error{StatusCode: http.StatusOK, Code: CodeInvalidResponse,
				Message: fmt.Sprintf("GET %s: an event that is not a Rexec event: %.200s", st.target.Path, message.data)})
			break
		}
		if message.id != "" {
			st.lastID = message.id
		} else {
			st.lastID = event.ID
		}
		st.current = event
		return true
	}
	return false
}

// Event is the event Next moved to.
func (st *EventStream) Event() Event { return st.current }

// LastEventID is the id of the last event delivered (or the Cursor the stream started after):
// what a new Stream resumes from, in this process or another.
func (st *EventStream) LastEventID() string { return st.lastID }

// Reconnects counts the connections made after the first one.
func (st *EventStream) Reconnects() int { return int(atomic.LoadInt32(&st.reconnects)) }

// Err is the error that ended the stream; nil while it runs and after Close.
func (st *EventStream) Err() error { return st.err }

// Close ends the stream; a Next waiting in another goroutine returns false.
func (st *EventStream) Close() error {
	atomic.StoreInt32(&st.closed, 1)
	st.cancel()
	return nil
}

func (st *EventStream) finish(err error) {
	st.hangUp()
	st.done = true
	st.cancel()
	if atomic.LoadInt32(&st.closed) == 1 {
		return
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("rexec: GET %s: %w", st.target.Path, err)
	}
	st.err = err
}

func (st *EventStream) hangUp() {
	if st.idle != nil {
		st.idle.Stop()
		st.idle = nil
	}
	if st.body != nil {
		st.body.Close()
		st.body = nil
	}
	st.frames = nil
}

// reconnect dials again until the server takes the request, waiting the server's retry delay
// first and backing off (with jitter, so a fleet of clients does not come back in step) after
// each failure.
func (st *EventStream) reconnect() error {
	wait := st.retry
	for {
		jittered := wait - wait/5 + time.Duration(rand.Int63n(int64(wait/5)*2+1))
		if err := sleep(st.ctx, jittered); err != nil {
			return err
		}
		err := st.connect()
		if err == nil {
			atomic.AddInt32(&st.reconnects, 1)
			return nil
		}
		var refusal *Error
		if errors.As(err, &refusal) && refusal.Code != CodeInvalidResponse && !transient(refusal.StatusCode) {
			return err
		}
		if st.ctx.Err() != nil {
			return st.ctx.Err()
		}
		if wait *= 2; wait > maxStreamRetry {
			wait = maxStreamRetry
		}
	}
}

// transient is a status a reconnect is retried after: the server or a proxy in front of it is
// busy or restarting.
func transient(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// connect sends one GET /events/stream and keeps its body when the server accepted it.
func (st *EventStream) connect() error {
	connCtx, cancel := context.WithCancel(st.ctx)
	request, err := http.NewRequestWithContext(connCtx, http.MethodGet, st.target.String(), nil)
	if err != nil {
		cancel()
		return fmt.Errorf("rexec: GET %s: %w", st.target.Path, err)
	}
	request.Header.Set("Authorization", "Bearer "+st.api.token)
	request.Header.Set("Accept", "text/event-stream")
	request.Header.Set("Cache-Control", "no-cache")
	if st.api.userAgent != "" {
		request.Header.Set("User-Agent", st.api.userAgent)
	}
	if st.lastID != "" {
		request.Header.Set("Last-Event-ID", st.lastID)
	}
	// The watchdog covers the wait for the answer too, and is reset by every line read.
	idle := time.AfterFunc(streamIdleTimeout, cancel)
	response, err := st.api.httpClient.Do(request)
	if err != nil {
		idle.Stop()
		cancel()
		return fmt.Errorf("rexec: GET %s: %w", st.target.Path, err)
	}
	if response.StatusCode != http.StatusOK {
		defer cancel()
		defer idle.Stop()
		defer response.Body.Close()
		answer, _ := io.ReadAll(io.LimitReader(response.Body, maxAnswerBytes))
		return errorFromAnswer(http.MethodGet, st.target.Path, response.StatusCode, response.Header, answer)
	}
	if media := response.Header.Get("Content-Type"); !strings.HasPrefix(media, "text/event-stream") {
		idle.Stop()
		cancel()
		response.Body.Close()
		return &Error{StatusCode: response.StatusCode, Code: CodeInvalidResponse, RequestID: response.Header.Get("X-Request-Id"),
			Message: fmt.Sprintf("GET %s answered %q, not an event stream", st.target.Path, media)}
	}
	st.body = closerFunc(func() error {
		cancel()
		return response.Body.Close()
	})
	st.idle = idle
	st.frames = newSSEReader(response.Body, func() { idle.Reset(streamIdleTimeout) })
	return nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }
