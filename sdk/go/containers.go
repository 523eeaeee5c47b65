// The caller's containers (REST API v1 /containers): list by page or with an iterator over every
// page, get by id or name, create, start, stop, delete, the setup log, and waiting until running.

package rexec

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// ContainersService is Client.Containers.
type ContainersService struct{ api *api }

// ListOptions filter and page GET /containers.
type ListOptions struct {
	// Status keeps only containers in this state.
	Status ContainerStatus
	// Limit is the page size, 1–100 (zero: the server's default, 50).
	Limit int
	// Cursor is the NextCursor of the previous page.
	Cursor string
}

func (o ListOptions) query() url.Values {
	query := url.Values{}
	if o.Status != "" {
		query.Set("status", string(o.Status))
	}
	if o.Limit != 0 {
		query.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		query.Set("cursor", o.Cursor)
	}
	return query
}

// List returns one page of the caller's containers.
func (s *ContainersService) List(ctx context.Context, opts ListOptions) (*ContainerList, error) {
	var page ContainerList
	if _, err := s.api.do(ctx, http.MethodGet, "/containers", opts.query(), nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// All iterates over every container of the caller, fetching pages of opts.Limit as it goes
// (opts.Cursor is where it starts):
//
//	it := client.Containers.All(ctx, rexec.ListOptions{})
//	for it.Next() {
//		fmt.Println(it.Container().Name)
//	}
//	if err := it.Err(); err != nil { … }
func (s *ContainersService) All(ctx context.Context, opts ListOptions) *ContainerIterator {
	return &ContainerIterator{ctx: ctx, service: s, opts: opts}
}

// ContainerIterator walks the pages of GET /containers; see ContainersService.All.
type ContainerIterator struct {
	ctx     context.Context
	service *ContainersService
	opts    ListOptions
	page    *ContainerList
	index   int
	current Container
	done    bool
	err     error
}

// Next advances to the next container, fetching the next page when needed. It returns false at
// the end or on an error (see Err).
func (it *ContainerIterator) Next() bool {
	for !it.done {
		if it.page != nil && it.index < len(it.page.Containers) {
			it.current = it.page.Containers[it.index]
			it.index++
			return true
		}
		if it.page != nil && it.page.NextCursor == "" {
			it.done = true
			break
		}
		if it.page != nil {
			it.opts.Cursor = it.page.NextCursor
		}
		page, err := it.service.List(it.ctx, it.opts)
		if err != nil {
			it.err, it.done = err, true
			break
		}
		it.page, it.index = page, 0
	}
	return false
}

// Container is the container Next moved to.
func (it *ContainerIterator) Container() Container { return it.current }

// Page is the page the current container came from (nil before the first Next).
func (it *ContainerIterator) Page() *ContainerList { return it.page }

// Err is the error that ended the iteration, nil at a normal end.
func (it *ContainerIterator) Err() error { return it.err }

// Get returns a container by its id or its name.
func (s *ContainersService) Get(ctx context.Context, ref string) (*Container, error) {
	return s.one(ctx, http.MethodGet, ref, "")
}

// Create asks for a container. It answers at once with status "creating"; WaitRunning waits for
// the outcome.
func (s *ContainersService) Create(ctx context.Context, req CreateContainerRequest) (*Container, error) {
	var created Container
	if _, err := s.api.do(ctx, http.MethodPost, "/containers", nil, req, &created); err != nil {
		return nil, err
	}
	return &created, nil
}

// Start starts a stopped container (idempotent) and returns it running.
func (s *ContainersService) Start(ctx context.Context, ref string) (*Container, error) {
	return s.one(ctx, http.MethodPost, ref, "/start")
}

// Stop stops a container, keeping its data (idempotent).
func (s *ContainersService) Stop(ctx context.Context, ref string) (*Container, error) {
	return s.one(ctx, http.MethodPost, ref, "/stop")
}

// Delete removes a container. The result's Deleting is true when its host is unreachable: the
// removal then finishes when the host reconnects.
func (s *ContainersService) Delete(ctx context.Context, ref string) (*DeleteResult, error) {
	path, err := segment(ref, "container")
	if err != nil {
		return nil, err
	}
	var deleting containerDeleting
	status, err := s.api.do(ctx, http.MethodDelete, "/containers/"+path, nil, nil, &deleting)
	if err != nil {
		return nil, err
	}
	if status == http.StatusAccepted {
		return &DeleteResult{ID: deleting.ID, Deleting: true}, nil
	}
	return &DeleteResult{ID: ref}, nil
}

// Logs returns the tail of the container's role setup output and the detail of its last status
// change (an engine's pull error, …).
func (s *ContainersService) Logs(ctx context.Context, ref string) (*ContainerLogs, error) {
	path, err := segment(ref, "container")
	if err != nil {
		return nil, err
	}
	var logs ContainerLogs
	if _, err := s.api.do(ctx, http.MethodGet, "/containers/"+path+"/logs", nil, nil, &logs); err != nil {
		return nil, err
	}
	return &logs, nil
}

// Stats returns the container's latest sample (GET /containers/{id}/stats): cpu, memory, pids
// and network as its host's agent last measured them (every 10 s by default), disk as last
// measured, and the limits. A container that is not running, or not sampled since it started,
// has At and the sampled figures nil.
func (s *ContainersService) Stats(ctx context.Context, ref string) (*ContainerStats, error) {
	path, err := segment(ref, "container")
	if err != nil {
		return nil, err
	}
	var stats ContainerStats
	if _, err := s.api.do(ctx, http.MethodGet, "/containers/"+path+"/stats", nil, nil, &stats); err != nil {
		return nil, err
	}
	return &stats, nil
}

// Exec runs one command in a running container and waits for it (POST /containers/{id}/exec):
// its exit code and captured output. A container that is not running is ErrInvalidState, one
// running too many execs ErrTooManyExecs. Give ctx room beyond req.TimeoutSeconds.
func (s *ContainersService) Exec(ctx context.Context, ref string, req ExecRequest) (*ExecResult, error) {
	path, err := segment(ref, "container")
	if err != nil {
		return nil, err
	}
	var result ExecResult
	if _, err := s.api.do(ctx, http.MethodPost, "/containers/"+path+"/exec", nil, req, &result); err != nil {
		return nil, err
	}
	return &result, nil
}

func (s *ContainersService) one(ctx context.Context, method, ref, action string) (*Container, error) {
	path, err := segment(ref, "container")
	if err != nil {
		return nil, err
	}
	var container Container
	if _, err := s.api.do(ctx, method, "/containers/"+path+action, nil, nil, &container); err != nil {
		return nil, err
	}
	return &container, nil
}

// Polling of WaitRunning: fast at first (a container often runs within a second), then slower.
const (
	firstPoll = 200 * time.Millisecond
	maxPoll   = time.Second
)

// WaitRunning polls the container until it leaves "creating" and returns it once "running". If it
// ends anywhere else (usually "error") the error is a *ContainerFailedError carrying its
// StatusReason (errors.Is(err, ErrContainerFailed)). It waits as long as ctx allows (give it a
// deadline: a first pull of a large image takes minutes) and rides out 429s by their RetryAfter.
func (s *ContainersService) WaitRunning(ctx context.Context, ref string) (*Container, error) {
	poll := firstPoll
	for {
		container, err := s.Get(ctx, ref)
		var refusal *Error
		switch {
		case errors.As(err, &refusal) && refusal.StatusCode == http.StatusTooManyRequests:
			// A rate-limited poll says nothing about the container: wait as told and look again.
			wait := refusal.RetryAfter
			if wait == 0 {
				wait = maxPoll
			}
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		case err != nil:
			return nil, err
		case container.Status == StatusRunning:
			return container, nil
		case container.Status != StatusCreating:
			return nil, &ContainerFailedError{Container: container, Status: container.Status, StatusReason: container.StatusReason}
		}
		// Polls by id from now on: a name could be reused once the container is gone.
		ref = container.ID
		if err := sleep(ctx, poll); err != nil {
			return nil, err
		}
		if poll = poll * 3 / 2; poll > maxPoll {
			poll = maxPoll
		}
	}
}
