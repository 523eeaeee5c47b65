// Events, the live stream and the audit log against the real fleet: a container's life read back
// as a stream that loses its connection midway (cut by a relay) and resumes with no event lost or
// repeated, the same events paged by List, the audit entry of the stop, and the refusals.

package rexec_test

import (
	"errors"
	"testing"
	"time"

	rexec "github.com/rexec/rexec/sdk/go"
)

// untilType reads the stream until this container's event of type want, returning the container's
// events read on the way (want included).
func untilType(t *testing.T, stream *rexec.EventStream, containerID string, want rexec.EventType) []rexec.Event {
	t.Helper()
	var seen []rexec.Event
	for stream.Next() {
		event := stream.Event()
		if event.ContainerID != containerID {
			continue // another test's container
		}
		seen = append(seen, event)
		if event.Type == want {
			return seen
		}
	}
	t.Fatalf("the stream ended before %s of %s: %v (seen %v)", want, containerID, stream.Err(), ids(seen))
	return nil
}

func ids(events []rexec.Event) []string {
	list := make([]string, len(events))
	for i, event := range events {
		list[i] = event.ID + " " + string(event.Type)
	}
	return list
}

func sameEvents(t *testing.T, what string, got, want []rexec.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %v, want %v", what, ids(got), ids(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].Type != want[i].Type {
			t.Fatalf("%s: %v, want %v", what, ids(got), ids(want))
		}
	}
}

func TestEventStreamResumesAfterACutConnection(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	relay := newCutter(t)
	stream, err := admin().Events.Stream(ctx, rexec.EventsQuery{}) // direct, to check the filters
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	stream.Close()
	if stream.Next() || stream.Err() != nil {
		t.Fatalf("a closed stream: Next true or Err %v", stream.Err())
	}

	stream, err = rexec.NewClient(relay.url(), fixture.token).Events.Stream(ctx, rexec.EventsQuery{Type: []string{"container.*"}})
	if err != nil {
		t.Fatalf("stream through the relay: %v", err)
	}
	defer stream.Close()
	box := runningBox(t, admin(), "go-events")
	streamed := untilType(t, stream, box.ID, rexec.EventContainerRunning)
	if streamed[0].Type != rexec.EventContainerCreated || streamed[0].UserID == "" {
		t.Errorf("the first event of a new container: %+v", streamed[0])
	}

	// The stream's connection dies; the stop's events are committed while it is down.
	relay.cut()
	if _, err := admin().Containers.Stop(ctx, box.ID); err != nil {
		t.Fatalf("stop: %v", err)
	}
	streamed = append(streamed, untilType(t, stream, box.ID, rexec.EventContainerStopped)...)
	if stream.Reconnects() < 1 || relay.connections() < 2 {
		t.Errorf("reconnects %d over %d relayed connections, want at least 1 over 2", stream.Reconnects(), relay.connections())
	}
	if stream.LastEventID() != streamed[len(streamed)-1].ID {
		t.Errorf("LastEventID %s, want %s", stream.LastEventID(), streamed[len(streamed)-1].ID)
	}

	// The same events, from the table: none lost, none repeated, same order.
	page, err := admin().Events.List(ctx, rexec.EventsQuery{ContainerID: box.ID, Type: []string{"container.*"}, Limit: 1000})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	listed := page.Events[:0:0]
	for _, event := range page.Events {
		listed = append(listed, event)
		if event.Type == rexec.EventContainerStopped {
			break
		}
	}
	sameEvents(t, "streamed across the cut vs listed", streamed, listed)

	// Paged one at a time with the cursor: the same again.
	var paged []rexec.Event
	query := rexec.EventsQuery{ContainerID: box.ID, Limit: 1}
	for len(paged) < len(listed) {
		one, err := admin().Events.List(ctx, query)
		if err != nil || len(one.Events) != 1 || one.NextCursor == nil || *one.NextCursor != one.Events[0].ID {
			t.Fatalf("page %d: %+v, %v", len(paged), one, err)
		}
		paged = append(paged, one.Events[0])
		query.Cursor = *one.NextCursor
	}
	sameEvents(t, "paged by one", paged, listed)

	// A new stream from a cursor resumes right after it.
	resumed, err := admin().Events.Stream(ctx, rexec.EventsQuery{ContainerID: box.ID, Cursor: listed[0].ID})
	if err != nil {
		t.Fatalf("stream from a cursor: %v", err)
	}
	defer resumed.Close()
	sameEvents(t, "resumed from the first event", untilType(t, resumed, box.ID, rexec.EventContainerStopped), listed[1:])

	// The stop is in the audit log: who, what, on which container, from this SDK.
	me, err := admin().Me.Get(ctx)
	if err != nil {
		t.Fatalf("me: %v", err)
	}
	audit, err := admin().Audit.List(ctx, rexec.AuditQuery{UserID: me.User.ID, Action: "container.stop", Since: streamed[0].At.Add(-time.Minute), Limit: 1000})
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	var stop *rexec.AuditEntry
	for i, entry := range audit.Entries {
		if entry.TargetID == box.ID {
			stop = &audit.Entries[i]
		}
	}
	if stop == nil {
		t.Fatalf("no container.stop entry for %s among %d", box.ID, len(audit.Entries))
	}
	if stop.Outcome != rexec.AuditSuccess || stop.StatusCode != 200 || stop.TargetType != "container" ||
		stop.ActorTokenID == "" || stop.RequestID == "" || stop.UserAgent != "rexec-go/"+rexec.Version {
		t.Errorf("the stop's audit entry: %+v", *stop)
	}
}

func TestEventsAndAuditRefusals(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	created, err := admin().Users.Create(ctx, rexec.CreateUserRequest{Name: uniqueName("go-events-user"), Tier: adminTier})
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	t.Cleanup(func() { _ = admin().Users.Delete(ctx, created.User.ID) })
	user := rexec.NewClient(fixture.url, created.Token)

	if _, err := user.Events.Stream(ctx, rexec.EventsQuery{All: true}); !errors.Is(err, rexec.ErrForbidden) {
		t.Errorf("a user's stream of all events: %v, want forbidden", err)
	}
	if _, err := user.Events.List(ctx, rexec.EventsQuery{All: true}); !errors.Is(err, rexec.ErrForbidden) {
		t.Errorf("a user's list of all events: %v, want forbidden", err)
	}
	if _, err := user.Audit.List(ctx, rexec.AuditQuery{}); !errors.Is(err, rexec.ErrForbidden) {
		t.Errorf("a user's audit list: %v, want forbidden", err)
	}
	var refusal *rexec.Error
	if _, err := user.Events.Stream(ctx, rexec.EventsQuery{Type: []string{"no.such"}}); !errors.As(err, &refusal) ||
		refusal.Code != rexec.CodeInvalidRequest || len(refusal.Issues()) == 0 {
		t.Errorf("a stream of an unknown type: %v, want invalid_request with issues", err)
	}
	if _, err := user.Events.Stream(ctx, rexec.EventsQuery{Cursor: "999999999999"}); !errors.Is(err, rexec.ErrInvalidRequest) {
		t.Errorf("a stream after an unknown event: %v, want invalid_request", err)
	}
	// A user sees only their own containers' events: a new user has none.
	page, err := user.Events.List(ctx, rexec.EventsQuery{})
	if err != nil || len(page.Events) != 0 {
		t.Errorf("a new user's events: %+v, %v", page, err)
	}
	// The admin sees the user's creation with all=true, paging to the end.
	found := false
	query := rexec.EventsQuery{All: true, Type: []string{"user.*"}, Limit: 100}
	for !found {
		page, err := admin().Events.List(ctx, query)
		if err != nil {
			t.Fatalf("all events: %v", err)
		}
		for _, event := range page.Events {
			found = found || event.Type == rexec.EventUserCreated && event.Data["user_id"] == created.User.ID
		}
		if len(page.Events) == 0 {
			break
		}
		query.Cursor = *page.NextCursor
	}
	if !found {
		t.Errorf("no user.created event for %s", created.User.ID)
	}
}
