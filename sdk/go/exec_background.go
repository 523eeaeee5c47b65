// Background execs (DESIGN §8.1): start a command that outlives the request, read its status and
// signal it. Its output and stdin travel over the exec stream WebSocket, which this package does
// not speak yet; the TypeScript SDK and the CLI do.

package rexec

import (
	"context"
	"net/http"
	"time"
)

// ExecState is a background exec's lifecycle: running, then exited.
type ExecState string

const (
	ExecRunning ExecState = "running"
	ExecExited  ExecState = "exited"
)

// ExecSignal is a signal a client may send an exec; it reaches every process of the command.
type ExecSignal string

const (
	SignalTerm ExecSignal = "TERM"
	SignalKill ExecSignal = "KILL"
	SignalInt  ExecSignal = "INT"
	SignalHup  ExecSignal = "HUP"
)

// ExecStarted is the 202 answer of a background exec.
type ExecStarted struct {
	ExecID string `json:"exec_id"`
	// Status is always "running".
	Status string `json:"status"`
}

// ExecStatus is a background exec's state. ExitCode and EndedAt are set once it exited; ExitCode is
// nil then when its timeout killed it. OutputBytes is where its output (both streams) ends so far.
type ExecStatus struct {
	ExecID      string     `json:"exec_id"`
	Status      ExecState  `json:"status"`
	ExitCode    *int       `json:"exit_code,omitempty"`
	TimedOut    bool       `json:"timed_out"`
	OutputBytes int        `json:"output_bytes"`
	StartedAt   time.Time  `json:"started_at"`
	EndedAt     *time.Time `json:"ended_at,omitempty"`
}

type execSignalRequest struct {
	Signal ExecSignal `json:"signal"`
}

// ExecBackground starts req as a background exec (POST /containers/{id}/exec with background:
// true) and returns once it runs. Stdin, if given, is written and ended; otherwise it stays open for
// a stream client. Its result is kept REXEC_EXEC_GRACE_SECONDS after it ends.
func (s *ContainersService) ExecBackground(ctx context.Context, ref string, req ExecRequest) (*ExecStarted, error) {
	path, err := segment(ref, "container")
	if err != nil {
		return nil, err
	}
	req.Background = true
	var started ExecStarted
	if _, err := s.api.do(ctx, http.MethodPost, "/containers/"+path+"/exec", nil, req, &started); err != nil {
		return nil, err
	}
	return &started, nil
}

// ExecStatus reads a background exec's status (GET /containers/{id}/exec/{exec_id}); an unknown
// or expired exec is ErrNotFound.
func (s *ContainersService) ExecStatus(ctx context.Context, ref, execID string) (*ExecStatus, error) {
	path, err := execPath(ref, execID)
	if err != nil {
		return nil, err
	}
	var status ExecStatus
	if _, err := s.api.do(ctx, http.MethodGet, path, nil, nil, &status); err != nil {
		return nil, err
	}
	return &status, nil
}

// ExecSignal sends signal to every process of a running background exec
// (POST /containers/{id}/exec/{exec_id}/signal) and returns its status.
func (s *ContainersService) ExecSignal(ctx context.Context, ref, execID string, signal ExecSignal) (*ExecStatus, error) {
	path, err := execPath(ref, execID)
	if err != nil {
		return nil, err
	}
	var status ExecStatus
	body := execSignalRequest{Signal: signal}
	if _, err := s.api.do(ctx, http.MethodPost, path+"/signal", nil, body, &status); err != nil {
		return nil, err
	}
	return &status, nil
}

func execPath(ref, execID string) (string, error) {
	container, err := segment(ref, "container")
	if err != nil {
		return "", err
	}
	exec, err := segment(execID, "exec id")
	if err != nil {
		return "", err
	}
	return "/containers/" + container + "/exec/" + exec, nil
}
