// Terminal.Connect: checks the options against the protocol's bounds and opens the terminal socket
// (PROTOCOL.md §10): GET /containers/:id/terminal?session=&cols=&rows= upgraded to WebSocket with
// the subprotocol rexec.terminal.v1 and the token in Authorization. A refused upgrade is read as
// the REST error it is. The open terminal itself (I/O, resize, exit, resume) is terminal_session.go's.

package rexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
)

// Terminal protocol constants (packages/protocol constants.ts).
const (
	TerminalSubprotocol    = "rexec.terminal.v1"
	DefaultTerminalSession = "main"
	MaxTerminalDimension   = 1000
	// maxTerminalChunkBytes is how input is split into frames (the server takes up to 1 MiB).
	maxTerminalChunkBytes = 64 << 10
	// maxTerminalFrameBytes bounds one received frame: room for a scrollback replay and then some.
	maxTerminalFrameBytes = 16 * maxTerminalChunkBytes
)

var terminalSessionPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// TerminalService is Client.Terminal.
type TerminalService struct{ api *api }

// TerminalOptions configure Terminal.Connect.
type TerminalOptions struct {
	// Session names the shell: connecting again with the same session (within the server's grace
	// period, 5 minutes) resumes it with its recent scrollback; another session is another shell.
	// 1–64 of A-Z a-z 0-9 _ -; empty means "main".
	Session string
	// Cols and Rows are the initial size, 1–1000 (zero: 80×24).
	Cols, Rows int
	// KeepAlive is how often to ping so idle proxies keep the socket open (zero: 30 s; negative:
	// never).
	KeepAlive time.Duration
	// ResumeAttempts is how many times a dropped connection is dialled again with the same session
	// before the terminal gives up (zero: 5; negative: never resume).
	ResumeAttempts int
	// OnResume, when set, is called after each automatic resume, from the terminal's goroutine.
	OnResume func()
}

const (
	defaultKeepAlive      = 30 * time.Second
	defaultResumeAttempts = 5
	dialTimeout           = 30 * time.Second
)

// Connect opens a shell in a running container (by id or name) and returns once the server says
// it is ready. ctx bounds only the connecting: the terminal lives until the shell exits, Close is
// called, or the connection is lost for good. Refusals are *Error: 404 not_found, 409
// invalid_state (not running), 503 host_unavailable, 429 rate_limited, …
func (s *TerminalService) Connect(ctx context.Context, ref string, opts TerminalOptions) (*Terminal, error) {
	if s.api.initErr != nil {
		return nil, s.api.initErr
	}
	if _, err := segment(ref, "container"); err != nil {
		return nil, err
	}
	if opts.Session == "" {
		opts.Session = DefaultTerminalSession
	}
	if !terminalSessionPattern.MatchString(opts.Session) {
		return nil, fmt.Errorf("rexec: session must be 1-64 characters of A-Z, a-z, 0-9, _ and -, got %q", opts.Session)
	}
	if opts.Cols == 0 {
		opts.Cols = 80
	}
	if opts.Rows == 0 {
		opts.Rows = 24
	}
	if err := checkSize(opts.Cols, opts.Rows); err != nil {
		return nil, err
	}
	if opts.KeepAlive == 0 {
		opts.KeepAlive = defaultKeepAlive
	}
	if opts.ResumeAttempts == 0 {
		opts.ResumeAttempts = defaultResumeAttempts
	}
	t := newTerminal(s.api, ref, opts)
	link, err := t.dial(ctx)
	if err != nil {
		t.cancel()
		return nil, err
	}
	t.start(link)
	return t, nil
}

func checkSize(cols, rows int) error {
	if cols < 1 || cols > MaxTerminalDimension || rows < 1 || rows > MaxTerminalDimension {
		return fmt.Errorf("rexec: cols and rows must be integers from 1 to %d, got %d×%d", MaxTerminalDimension, cols, rows)
	}
	return nil
}

// terminalReady is the server's first control frame.
type terminalReady struct {
	Session string `json:"session"`
	Resumed bool   `json:"resumed"`
}

// terminalControl is any server control frame: ready, exit, error or pong.
type terminalControl struct {
	Type    string          `json:"type"`
	Session string          `json:"session"`
	Resumed bool            `json:"resumed"`
	Code    json.RawMessage `json:"code"`
	Message string          `json:"message"`
}

// link is one open socket of a terminal and what its ready frame said.
type link struct {
	conn  *websocket.Conn
	ready terminalReady
}

// terminalURL is the terminal socket's ws(s) URL.
func (a *api) terminalURL(ref, session string, cols, rows int) *url.URL {
	path, _ := segment(ref, "container")
	query := url.Values{}
	query.Set("session", session)
	query.Set("cols", strconv.Itoa(cols))
	query.Set("rows", strconv.Itoa(rows))
	target := a.endpoint("/containers/"+path+"/terminal", query)
	if target.Scheme == "https" {
		target.Scheme = "wss"
	} else {
		target.Scheme = "ws"
	}
	return target
}

// dialSocket opens one terminal socket with the terminal's session and current size and reads the
// ready frame.
func (a *api) dialSocket(ctx context.Context, ref, session string, cols, rows int) (*link, error) {
	target := a.terminalURL(ref, session, cols, rows)
	dialer := websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: dialTimeout,
		Subprotocols:     []string{TerminalSubprotocol},
	}
	if transport, ok := a.httpClient.Transport.(*http.Transport); ok {
		dialer.Proxy = transport.Proxy
		dialer.TLSClientConfig = transport.TLSClientConfig
	}
	header := http.Header{}
	header.Set("Authorization", "Bearer "+a.token)
	if a.userAgent != "" {
		header.Set("User-Agent", a.userAgent)
	}
	conn, response, err := dialer.DialContext(ctx, target.String(), header)
	if err != nil {
		if errors.Is(err, websocket.ErrBadHandshake) && response != nil {
			answer, _ := io.ReadAll(response.Body)
			return nil, errorFromAnswer(http.MethodGet, target.Path, response.StatusCode, response.Header, answer)
		}
		return nil, fmt.Errorf("rexec: opening the terminal socket: %w", err)
	}
	if conn.Subprotocol() != TerminalSubprotocol {
		conn.Close()
		return nil, &Error{Code: CodeInvalidResponse, Message: fmt.Sprintf("the server answered the subprotocol %q instead of %s", conn.Subprotocol(), TerminalSubprotocol)}
	}
	conn.SetReadLimit(maxTerminalFrameBytes)
	ready, err := readReady(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &link{conn: conn, ready: ready}, nil
}

// readReady waits for the ready frame, as long as ctx allows; an error frame or a close before it
// is the terminal's end.
func readReady(ctx context.Context, conn *websocket.Conn) (terminalReady, error) {
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
			conn.Close() // unblocks the read; its error is replaced by ctx's
		case <-stop:
		}
	}()
	ready, err := readReadyFrame(conn)
	close(stop)
	<-watched
	if ctx.Err() != nil {
		return terminalReady{}, fmt.Errorf("rexec: waiting for the terminal: %w", ctx.Err())
	}
	return ready, err
}

func readReadyFrame(conn *websocket.Conn) (terminalReady, error) {
	for {
		kind, data, err := conn.ReadMessage()
		if err != nil {
			if end := endOf(err, nil); end != nil {
				return terminalReady{}, end
			}
			return terminalReady{}, &TerminalError{Code: "connection_lost", Message: "the terminal closed before the shell was ready"}
		}
		if kind != websocket.TextMessage {
			return terminalReady{}, &Error{Code: CodeInvalidResponse, Message: "the terminal sent output before its ready frame"}
		}
		var control terminalControl
		if err := json.Unmarshal(data, &control); err != nil {
			return terminalReady{}, &Error{Code: CodeInvalidResponse, Message: "the terminal sent a control frame that is not JSON: " + err.Error()}
		}
		switch control.Type {
		case "ready":
			return terminalReady{Session: control.Session, Resumed: control.Resumed}, nil
		case "error":
			var code string
			_ = json.Unmarshal(control.Code, &code)
			return terminalReady{}, &TerminalError{Code: code, Message: control.Message}
		case "pong":
			continue
		default:
			return terminalReady{}, &Error{Code: CodeInvalidResponse, Message: fmt.Sprintf("the terminal sent %q before its ready frame", control.Type)}
		}
	}
}
