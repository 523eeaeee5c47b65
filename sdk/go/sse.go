// Server-Sent Events framing as the HTML standard defines it: `field: value` lines ending in LF,
// CRLF or CR, a blank line ending a message, `:` starting a comment (the server's heartbeat).
// What a message means is events_stream.go's.

package rexec

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"time"
)

// maxSSELine bounds one line; an event's JSON is far smaller.
const maxSSELine = 1 << 20

// sseMessage is one message: data is nil when the message carried no data line (then only id or
// retry may be set, and nothing is to be delivered).
type sseMessage struct {
	id    string
	event string
	data  []byte
	retry time.Duration
}

type sseReader struct {
	lines *bufio.Scanner
	// onLine is called for every line read, comments included (the idle watchdog).
	onLine func()
}

func newSSEReader(r io.Reader, onLine func()) *sseReader {
	lines := bufio.NewScanner(r)
	lines.Buffer(make([]byte, 0, 4096), maxSSELine)
	lines.Split(splitSSELines)
	return &sseReader{lines: lines, onLine: onLine}
}

// next returns the next complete message. A message cut off by the end of the stream is not
// returned: the stream's end is io.EOF (or the read error), never a partial event.
func (p *sseReader) next() (sseMessage, error) {
	var message sseMessage
	var data bytes.Buffer
	hasData := false
	for p.lines.Scan() {
		if p.onLine != nil {
			p.onLine()
		}
		line := p.lines.Bytes()
		if len(line) == 0 {
			if hasData {
				message.data = append([]byte{}, data.Bytes()...)
			}
			if hasData || message.id != "" || message.retry > 0 {
				return message, nil
			}
			continue
		}
		if line[0] == ':' {
			continue // a comment: the heartbeat
		}
		field, value := line, []byte(nil)
		if colon := bytes.IndexByte(line, ':'); colon >= 0 {
			field, value = line[:colon], bytes.TrimPrefix(line[colon+1:], []byte(" "))
		}
		switch string(field) {
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				message.id = string(value)
			}
		case "event":
			message.event = string(value)
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.Write(value)
			hasData = true
		case "retry":
			if ms, err := strconv.ParseUint(string(value), 10, 31); err == nil && ms > 0 {
				message.retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
	if err := p.lines.Err(); err != nil {
		return sseMessage{}, err
	}
	return sseMessage{}, io.EOF
}

// splitSSELines splits at LF, CRLF or a lone CR. A CR at the end of the buffer waits for the next
// byte (it may be the start of a CRLF) unless the stream ended.
func splitSSELines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	for i, b := range data {
		switch b {
		case '\n':
			return i + 1, data[:i], nil
		case '\r':
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if atEOF {
				return i + 1, data[:i], nil
			}
			return 0, nil, nil
		}
	}
	// An unterminated last line is dropped: it cannot end a message.
	return 0, nil, nil
}
