// TerminalError and the close codes of the terminal socket (PROTOCOL.md §11): how an open terminal
// ended when it was not the shell's exit or the caller's Close.

package rexec

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gorilla/websocket"
)

// Close codes the terminal socket uses (packages/protocol close-codes.ts).
const (
	closeNormal             = 4000
	closeHeartbeatTimeout   = 4007
	closeServerShuttingDown = 4008
	closeShellExited        = 4100
)

var closeCodeNames = map[int]string{
	4000: "normal", 4001: "protocol_violation", 4002: "message_too_large", 4003: "unauthorized",
	4004: "credential_revoked", 4005: "unsupported_protocol_version", 4006: "replaced",
	4007: "heartbeat_timeout", 4008: "server_shutting_down", 4009: "agent_shutting_down",
	4010: "handshake_timeout", 4011: "internal_error", 4100: "shell_exited",
	4101: "container_stopped", 4102: "session_lost", 4103: "too_many_sessions",
	4104: "terminal_failed", 4105: "host_unavailable",
}

// TerminalError says why a terminal ended abnormally. Code is the server's terminal error code
// (session_lost, container_stopped, session_replaced, too_many_sessions, …) or, without one, the
// close code's name or "connection_lost". errors.Is(err, ErrTerminal) matches it.
type TerminalError struct {
	Code    string
	Message string
	// CloseCode is the WebSocket close code, when the socket was closed with one.
	CloseCode int
	// Cause is the refusal or network error that stopped a resume, if any.
	Cause error
}

func (e *TerminalError) Error() string {
	message := fmt.Sprintf("rexec: terminal %s: %s", e.Code, e.Message)
	if e.Cause != nil {
		message += ": " + e.Cause.Error()
	}
	return message
}

// Is matches ErrTerminal.
func (e *TerminalError) Is(target error) bool { return target == ErrTerminal }

// Unwrap is the cause of a failed resume.
func (e *TerminalError) Unwrap() error { return e.Cause }

// endOf turns how a socket ended into the terminal's error: nil for a quiet close.
func endOf(readErr error, server *TerminalError) error {
	var closed *websocket.CloseError
	isClose := errors.As(readErr, &closed)
	if server != nil {
		if isClose {
			server.CloseCode = closed.Code
		}
		return server
	}
	if !isClose {
		return &TerminalError{Code: "connection_lost", Message: "the connection was lost", Cause: readErr}
	}
	switch closed.Code {
	case websocket.CloseNormalClosure, websocket.CloseNoStatusReceived, closeNormal, closeShellExited:
		return nil
	}
	name, known := closeCodeNames[closed.Code]
	if !known {
		name = fmt.Sprintf("close_%d", closed.Code)
	}
	message := strings.TrimSpace(closed.Text)
	if message == "" {
		message = "the terminal closed (" + name + ")"
	}
	return &TerminalError{Code: name, Message: message, CloseCode: closed.Code}
}
