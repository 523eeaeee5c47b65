// One open terminal: an io.ReadWriteCloser over the terminal socket (binary frames are raw bytes
// both ways, text frames JSON control), Resize, Exit, and automatic resume: a dropped connection
// is dialled again with the same session, and the server replays the shell's recent output.
// Dialling and the ready handshake are terminal.go's; when and how to resume, terminal_resume.go's.

package rexec

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// ErrTerminalClosed is returned by Write and Resize after Close.
var ErrTerminalClosed = errors.New("rexec: terminal closed")

// Terminal is an open shell. Read returns the shell's output (io.EOF once it exited or the
// terminal was closed), Write sends keyboard input. Read it continuously (io.Copy): output is
// buffered only a little, and a terminal that is not read stops answering the server's pings.
//
// After a resume, Read first returns the replayed scrollback (the shell's recent output, which may
// repeat what was already read), then new output: what a terminal emulator redraws.
type Terminal struct {
	api    *api
	ref    string
	opts   TerminalOptions
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	changed  *sync.Cond // the link changed or the terminal ended
	link     *link      // nil while resuming or after the end
	last     *link      // the most recent link, closed at the end
	cols     int
	rows     int
	resumed  bool
	resumes  int
	closing  bool
	ended    bool
	err      error
	exitCode *int

	writeMu sync.Mutex // gorilla allows one writer at a time
	readMu  sync.Mutex
	pending []byte
	data    chan []byte
	exit    chan int
	done    chan struct{}
}

func newTerminal(a *api, ref string, opts TerminalOptions) *Terminal {
	ctx, cancel := context.WithCancel(context.Background())
	t := &Terminal{
		api: a, ref: ref, opts: opts, ctx: ctx, cancel: cancel,
		cols: opts.Cols, rows: opts.Rows,
		data: make(chan []byte, 64),
		exit: make(chan int, 1),
		done: make(chan struct{}),
	}
	t.changed = sync.NewCond(&t.mu)
	return t
}

func (t *Terminal) dial(ctx context.Context) (*link, error) {
	t.mu.Lock()
	cols, rows := t.cols, t.rows
	t.mu.Unlock()
	return t.api.dialSocket(ctx, t.ref, t.opts.Session, cols, rows)
}

func (t *Terminal) start(first *link) {
	t.attach(first)
	go t.run(first)
}

// attach makes l the live link and starts its keep-alive pings.
func (t *Terminal) attach(l *link) {
	t.mu.Lock()
	t.link, t.last, t.resumed = l, l, l.ready.Resumed
	t.changed.Broadcast()
	t.mu.Unlock()
	if t.opts.KeepAlive > 0 {
		go t.keepAlive(l)
	}
}

// Session is the session id: connect again with it to resume this shell.
func (t *Terminal) Session() string { return t.opts.Session }

// Resumed reports whether the last attach joined a shell that already ran (its scrollback was
// replayed) rather than starting one.
func (t *Terminal) Resumed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.resumed
}

// Resumes is how many times the terminal reattached automatically after losing its connection.
func (t *Terminal) Resumes() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.resumes
}

// Exit delivers the shell's exit code (128+n for signal n) when it exits, and is closed when the
// terminal ends: `code, ok := <-t.Exit()`, where ok is false if it ended without an exit.
func (t *Terminal) Exit() <-chan int { return t.exit }

// Done is closed when the terminal has ended (exit, Close, or a failure: see Err).
func (t *Terminal) Done() <-chan struct{} { return t.done }

// Err is why the terminal ended abnormally: a *TerminalError (errors.Is(err, ErrTerminal)) whose
// Unwrap gives the refusal of a failed resume (an *Error) when there was one. It is nil while the
// terminal runs and after an exit or Close.
func (t *Terminal) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Read reads the shell's output.
func (t *Terminal) Read(p []byte) (int, error) {
	t.readMu.Lock()
	defer t.readMu.Unlock()
	if len(t.pending) == 0 {
		chunk, ok := <-t.data
		if !ok {
			if err := t.Err(); err != nil {
				return 0, err
			}
			return 0, io.EOF
		}
		t.pending = chunk
	}
	n := copy(p, t.pending)
	t.pending = t.pending[n:]
	return n, nil
}

// Write sends keyboard input. While the terminal resumes it waits for the new connection.
func (t *Terminal) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		end := written + maxTerminalChunkBytes
		if end > len(p) {
			end = len(p)
		}
		if err := t.send(websocket.BinaryMessage, p[written:end]); err != nil {
			return written, err
		}
		written = end
	}
	return written, nil
}

// Resize changes the terminal's size (1–1000 each); a resume keeps the latest size.
func (t *Terminal) Resize(cols, rows int) error {
	if err := checkSize(cols, rows); err != nil {
		return err
	}
	t.mu.Lock()
	t.cols, t.rows = cols, rows
	t.mu.Unlock()
	frame, _ := json.Marshal(map[string]interface{}{"type": "resize", "cols": cols, "rows": rows})
	return t.send(websocket.TextMessage, frame)
}

// Close detaches: the shell keeps running for the server's grace period (5 minutes) and can be
// resumed with Connect and the same Session. It waits until the terminal has ended.
func (t *Terminal) Close() error {
	t.mu.Lock()
	if t.ended || t.closing {
		t.mu.Unlock()
		<-t.done
		return nil
	}
	t.closing = true
	l := t.link
	t.mu.Unlock()
	if l != nil {
		message := websocket.FormatCloseMessage(closeNormal, "client closed")
		// Best effort: if the socket is already broken the close below ends it anyway.
		_ = l.conn.WriteControl(websocket.CloseMessage, message, time.Now().Add(time.Second))
	}
	// Stops a resume in progress and a reader blocked on unread output.
	t.cancel()
	select {
	case <-t.done:
	case <-time.After(2 * time.Second):
		if l != nil {
			l.conn.Close()
		}
		<-t.done
	}
	return nil
}

// send writes one frame on the live link, waiting through a resume; a frame whose write fails is
// sent again on the next link (the broken socket delivered none of it).
func (t *Terminal) send(kind int, frame []byte) error {
	for {
		t.mu.Lock()
		for t.link == nil && !t.ended && !t.closing {
			t.changed.Wait()
		}
		l, ended, closing, err := t.link, t.ended, t.closing, t.err
		t.mu.Unlock()
		if closing || (ended && err == nil) {
			return ErrTerminalClosed
		}
		if ended {
			return err
		}
		t.writeMu.Lock()
		writeErr := l.conn.WriteMessage(kind, frame)
		t.writeMu.Unlock()
		if writeErr == nil {
			return nil
		}
		// The socket broke: make sure the reader sees it, then wait for it to move on.
		l.conn.Close()
		t.mu.Lock()
		for t.link == l && !t.ended {
			t.changed.Wait()
		}
		t.mu.Unlock()
	}
}

func (t *Terminal) keepAlive(l *link) {
	ticker := time.NewTicker(t.opts.KeepAlive)
	defer ticker.Stop()
	ping := []byte(`{"type":"ping"}`)
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-ticker.C:
		}
		t.mu.Lock()
		current := t.link == l
		t.mu.Unlock()
		if !current {
			return
		}
		t.writeMu.Lock()
		// A failed ping means a broken socket, which the reader reports.
		_ = l.conn.WriteMessage(websocket.TextMessage, ping)
		t.writeMu.Unlock()
	}
}

// run reads each link until it ends and resumes after a drop, until the terminal ends.
func (t *Terminal) run(l *link) {
	for {
		end := t.pump(l)
		if !t.resumable(end) {
			t.finish(end.err())
			return
		}
		t.mu.Lock()
		t.link = nil
		t.changed.Broadcast()
		t.mu.Unlock()
		next, err := t.resume(end.closeCode == closeServerShuttingDown)
		if next == nil {
			t.finish(err) // nil when Close stopped the resume
			return
		}
		t.attach(next)
		t.mu.Lock()
		t.resumes++
		t.mu.Unlock()
		if t.opts.OnResume != nil {
			t.opts.OnResume()
		}
		l = next
	}
}

// linkEnd is how one socket ended.
type linkEnd struct {
	readErr   error
	closeCode int
	server    *TerminalError // an error frame the server sent before closing
	aborted   bool           // Close was called while output waited to be read
}

func (e linkEnd) err() error {
	if e.aborted {
		return nil
	}
	return endOf(e.readErr, e.server)
}

// pump reads one link: output goes to Read, control frames are handled, until the socket ends.
func (t *Terminal) pump(l *link) linkEnd {
	var end linkEnd
	for {
		kind, data, err := l.conn.ReadMessage()
		if err != nil {
			end.readErr = err
			var closed *websocket.CloseError
			if errors.As(err, &closed) {
				end.closeCode = closed.Code
			}
			return end
		}
		if kind == websocket.BinaryMessage {
			select {
			case t.data <- data:
			case <-t.ctx.Done():
				end.aborted = true
				return end
			}
			continue
		}
		var control terminalControl
		if json.Unmarshal(data, &control) != nil {
			// A frame this client cannot read: a protocol violation on the server's side.
			end.server = &TerminalError{Code: CodeInvalidResponse, Message: "the terminal sent a control frame that is not JSON"}
			l.conn.Close()
			continue
		}
		switch control.Type {
		case "exit":
			var code int
			if json.Unmarshal(control.Code, &code) == nil {
				t.mu.Lock()
				t.exitCode = &code
				t.mu.Unlock()
			}
		case "error":
			var code string
			_ = json.Unmarshal(control.Code, &code)
			end.server = &TerminalError{Code: code, Message: control.Message}
		}
		// ready (already read), pong and types added later within v1 need nothing here.
	}
}

// finish ends the terminal: Read drains and then reports err (or io.EOF), Exit delivers the code.
func (t *Terminal) finish(err error) {
	t.mu.Lock()
	if t.closing {
		err = nil
	}
	t.ended, t.err, t.link = true, err, nil
	last, code := t.last, t.exitCode
	t.changed.Broadcast()
	t.mu.Unlock()
	if last != nil {
		last.conn.Close()
	}
	close(t.data)
	if code != nil {
		t.exit <- *code
	}
	close(t.exit)
	t.cancel()
	close(t.done)
}
