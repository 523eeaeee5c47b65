// The SSE framing on byte streams written here: line endings, comments, multi-line data, retry,
// and a message cut off by the end of the stream, which must not be delivered.

package rexec

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func readAll(t *testing.T, stream string) ([]sseMessage, int) {
	t.Helper()
	lines := 0
	reader := newSSEReader(strings.NewReader(stream), func() { lines++ })
	var messages []sseMessage
	for {
		message, err := reader.next()
		if errors.Is(err, io.EOF) {
			return messages, lines
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		messages = append(messages, message)
	}
}

func TestSSEFraming(t *testing.T) {
	stream := "retry: 2000\n\n" +
		": heartbeat\n\n" +
		"id: 7\nevent: container.stopped\ndata: {\"a\":1}\n\n" +
		"id: 8\r\nevent: x\r\ndata:first\r\ndata: second\r\n\r\n" +
		"id: 9\rdata: cr\r\r" +
		"data\n\n" +
		"unknown: field\nid: 10\ndata: cut off"
	messages, lines := readAll(t, stream)
	if len(messages) != 5 {
		t.Fatalf("got %d messages, want 5: %+v", len(messages), messages)
	}
	if messages[0].retry != 2*time.Second || messages[0].data != nil {
		t.Errorf("retry message: %+v", messages[0])
	}
	if m := messages[1]; m.id != "7" || m.event != "container.stopped" || string(m.data) != `{"a":1}` {
		t.Errorf("LF message: %+v", m)
	}
	if m := messages[2]; m.id != "8" || string(m.data) != "first\nsecond" {
		t.Errorf("CRLF message with two data lines: %+v (%q)", m, m.data)
	}
	if m := messages[3]; m.id != "9" || string(m.data) != "cr" {
		t.Errorf("CR message: %+v", m)
	}
	if m := messages[4]; m.id != "" || m.data == nil || len(m.data) != 0 {
		t.Errorf("a bare data field is an empty data line: %+v", m)
	}
	// Every terminated line counts for the idle watchdog, the heartbeat comment too; the unterminated
	// last one is never read as a line.
	if lines != 20 {
		t.Errorf("lines seen: %d, want 20", lines)
	}
}

func TestSSELineTooLong(t *testing.T) {
	reader := newSSEReader(strings.NewReader("data: "+strings.Repeat("x", maxSSELine+1)+"\n\n"), nil)
	if _, err := reader.next(); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("a line over %d bytes: err %v, want a read error", maxSSELine, err)
	}
}
