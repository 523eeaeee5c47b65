// Events (GET /events, pages oldest first; the live stream is events_stream.go's) and, for
// admins, the audit log (GET /audit, pages newest first).

package rexec

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// EventsService is Client.Events.
type EventsService struct{ api *api }

// EventsQuery filters and pages GET /events and GET /events/stream.
type EventsQuery struct {
	// Cursor is the NextCursor of the previous page (List), or the id of the last event seen
	// (Stream: the stream resumes right after it). Empty: from the first event (List), from now
	// (Stream).
	Cursor string
	// Limit is the page size of List, 1–1000 (zero: the server's default, 100). Stream ignores it.
	Limit int
	// Type keeps only these types: exact ones ("container.stopped") or group prefixes
	// ("container.*"). Empty: every type.
	Type []string
	// ContainerID keeps only this container's events.
	ContainerID string
	// All asks for every user's and every host's events (admins only; 403 otherwise). Without it a
	// caller sees their own containers' events.
	All bool
}

// filters are the query parameters List and Stream share.
func (q EventsQuery) filters() url.Values {
	query := url.Values{}
	if len(q.Type) > 0 {
		query.Set("type", strings.Join(q.Type, ","))
	}
	if q.ContainerID != "" {
		query.Set("container_id", q.ContainerID)
	}
	if q.All {
		query.Set("all", "true")
	}
	return query
}

func (q EventsQuery) query() url.Values {
	query := q.filters()
	if q.Cursor != "" {
		query.Set("cursor", q.Cursor)
	}
	if q.Limit != 0 {
		query.Set("limit", strconv.Itoa(q.Limit))
	}
	return query
}

// List returns one page of events after q.Cursor, oldest first. The order is stable under
// concurrent writers: paging on with NextCursor never skips or repeats an event.
func (s *EventsService) List(ctx context.Context, q EventsQuery) (*EventList, error) {
	var page EventList
	if _, err := s.api.do(ctx, http.MethodGet, "/events", q.query(), nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// AuditService is Client.Audit (admins).
type AuditService struct{ api *api }

// AuditQuery filters and pages GET /audit.
type AuditQuery struct {
	// Cursor is the NextCursor of the previous page (older entries).
	Cursor string
	// Limit is the page size, 1–1000 (zero: the server's default, 100).
	Limit int
	// UserID keeps only calls by this user.
	UserID string
	// Action keeps only this action ("container.create", "host.cordon", …).
	Action string
	// Since and Until bound the entries' time (zero: unbounded).
	Since time.Time
	Until time.Time
}

func (q AuditQuery) query() url.Values {
	query := url.Values{}
	if q.Cursor != "" {
		query.Set("cursor", q.Cursor)
	}
	if q.Limit != 0 {
		query.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.UserID != "" {
		query.Set("user_id", q.UserID)
	}
	if q.Action != "" {
		query.Set("action", q.Action)
	}
	if !q.Since.IsZero() {
		query.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		query.Set("until", q.Until.UTC().Format(time.RFC3339Nano))
	}
	return query
}

// List returns one page of the audit log, newest first.
func (s *AuditService) List(ctx context.Context, q AuditQuery) (*AuditList, error) {
	var page AuditList
	if _, err := s.api.do(ctx, http.MethodGet, "/audit", q.query(), nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}
