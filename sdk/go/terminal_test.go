// Terminals against a real shell in a real container: input and output, resize, the exit code,
// detach and resume by session, automatic resume after the socket is cut under it, and the
// refusals and endings (stopped container, unknown container, bad options).

package rexec_test

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"sync"
	"testing"
	"time"

	rexec "github.com/rexec/rexec/sdk/go"
)

// screen collects a terminal's output as it is read.
type screen struct {
	mu   sync.Mutex
	text bytes.Buffer
	end  error
	done chan struct{}
}

func watch(term *rexec.Terminal) *screen {
	s := &screen{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 4096)
		for {
			n, err := term.Read(buf)
			s.mu.Lock()
			s.text.Write(buf[:n])
			if err != nil {
				s.end = err
			}
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return s
}

func (s *screen) since(offset int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	text := s.text.String()
	if offset > len(text) {
		return ""
	}
	return text[offset:]
}

func (s *screen) length() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.text.Len()
}

// waitFor waits until the output after offset matches pattern.
func (s *screen) waitFor(t *testing.T, pattern string, offset int) {
	t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.Now().Add(30 * time.Second)
	for !re.MatchString(s.since(offset)) {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q; it showed %q", pattern, s.since(offset))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readEnd is how Read ended, once it did.
func (s *screen) readEnd(t *testing.T) error {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatal("Read never ended")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.end
}

// askUntil types command until the output it brings matches pattern: a resize reaches the shell
// inside the container asynchronously (the engine forwards SIGWINCH), so one answer may predate it.
func (s *screen) askUntil(t *testing.T, term *rexec.Terminal, command, pattern string) {
	t.Helper()
	re := regexp.MustCompile(pattern)
	for attempt := 0; attempt < 20; attempt++ {
		mark := s.length()
		write(t, term, command)
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			if re.MatchString(s.since(mark)) {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Fatalf("%q never brought %q; the terminal showed %q", command, pattern, s.since(0))
}

func write(t *testing.T, term *rexec.Terminal, text string) {
	t.Helper()
	if _, err := io.WriteString(term, text); err != nil {
		t.Fatalf("write %q: %v", text, err)
	}
}

func TestTerminalEchoesResizesAndReportsTheExitCode(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	client := admin()
	box := runningBox(t, client, "go-term")
	term, err := client.Terminal.Connect(ctx, box.ID, rexec.TerminalOptions{Session: "work", Cols: 100, Rows: 30})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if term.Session() != "work" || term.Resumed() {
		t.Fatalf("a new shell named work: %s, resumed %v", term.Session(), term.Resumed())
	}
	out := watch(term)
	write(t, term, "echo hello-$((6*7))\n")
	out.waitFor(t, `hello-42`, 0)
	write(t, term, "stty size\n")
	out.waitFor(t, `30 100`, 0)
	if err := term.Resize(120, 40); err != nil {
		t.Fatalf("resize: %v", err)
	}
	out.askUntil(t, term, "stty size\n", `40 120`)
	if err := term.Resize(0, 40); err == nil {
		t.Error("a zero width is refused")
	}
	write(t, term, "exit 3\n")
	select {
	case code, ok := <-term.Exit():
		if !ok || code != 3 {
			t.Fatalf("exit: %d (%v), want 3", code, ok)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the exit code never came")
	}
	if err := out.readEnd(t); err != io.EOF {
		t.Errorf("Read ends with io.EOF after the exit, got %v", err)
	}
	<-term.Done()
	if term.Err() != nil {
		t.Errorf("an exit is not an error: %v", term.Err())
	}
	if _, err := term.Write([]byte("more\n")); !errors.Is(err, rexec.ErrTerminalClosed) {
		t.Errorf("writing after the end: %v", err)
	}
}

func TestTerminalResumesTheSameShellAfterTheSocketIsCut(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	relay := newCutter(t)
	client := rexec.NewClient(relay.url(), fixture.token)
	box := runningBox(t, admin(), "go-cut")
	resumed := make(chan struct{}, 4)
	term, err := client.Terminal.Connect(ctx, box.Name, rexec.TerminalOptions{
		Session: "cut", OnResume: func() { resumed <- struct{}{} },
	})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer term.Close()
	out := watch(term)
	write(t, term, "MARK=kept-$((6*7)); echo set-$MARK\n")
	out.waitFor(t, `set-kept-42`, 0)
	if err := term.Resize(90, 20); err != nil {
		t.Fatalf("resize: %v", err)
	}

	relay.cut()
	select {
	case <-resumed:
	case <-time.After(30 * time.Second):
		t.Fatalf("the terminal never resumed after the cut (it ended with %v)", term.Err())
	}
	if term.Resumes() != 1 || !term.Resumed() || relay.connections() < 2 {
		t.Fatalf("one automatic resume on a new connection: resumes %d, resumed %v, connections %d",
			term.Resumes(), term.Resumed(), relay.connections())
	}
	mark := out.length()
	write(t, term, "echo \"again-$MARK\"\n")
	out.waitFor(t, `again-kept-42`, mark)
	out.askUntil(t, term, "stty size\n", `20 90`)
	if term.Err() != nil {
		t.Fatalf("a resumed terminal carries on: %v", term.Err())
	}

	if err := term.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if _, ok := <-term.Exit(); ok {
		t.Error("a detached terminal has no exit code")
	}
	if err := out.readEnd(t); err != io.EOF || term.Err() != nil {
		t.Errorf("Close ends Read with io.EOF and no error: %v, %v", err, term.Err())
	}
}

func TestTerminalDetachesAndResumesBySession(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	client := admin()
	box := runningBox(t, client, "go-detach")
	first, err := client.Terminal.Connect(ctx, box.ID, rexec.TerminalOptions{Session: "kept"})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	out := watch(first)
	write(t, first, "echo before-$((40+2))\n")
	out.waitFor(t, `before-42`, 0)
	if err := first.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	again, err := client.Terminal.Connect(ctx, box.Name, rexec.TerminalOptions{Session: "kept", ResumeAttempts: -1})
	if err != nil {
		t.Fatalf("connect again: %v", err)
	}
	defer again.Close()
	if !again.Resumed() {
		t.Fatal("the same session resumes the same shell")
	}
	replay := watch(again)
	replay.waitFor(t, `before-42`, 0)
	other, err := client.Terminal.Connect(ctx, box.ID, rexec.TerminalOptions{Session: "other"})
	if err != nil || other.Resumed() {
		t.Fatalf("another session is another shell: %v", err)
	}
	other.Close()
}

func TestTerminalRefusalsAndEndings(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	client := admin()
	box := runningBox(t, client, "go-refuse")
	for _, opts := range []rexec.TerminalOptions{{Session: "not valid"}, {Cols: 1001}, {Rows: -1}} {
		if _, err := client.Terminal.Connect(ctx, box.ID, opts); err == nil {
			t.Errorf("%+v is refused before dialling", opts)
		}
	}
	_, err := client.Terminal.Connect(ctx, "no-such-box", rexec.TerminalOptions{})
	refusal(t, err, 404, rexec.ErrNotFound)

	term, err := client.Terminal.Connect(ctx, box.ID, rexec.TerminalOptions{})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	out := watch(term)
	if _, err := client.Containers.Stop(ctx, box.ID); err != nil {
		t.Fatalf("stop: %v", err)
	}
	end := out.readEnd(t)
	var ended *rexec.TerminalError
	if !errors.As(end, &ended) || !errors.Is(end, rexec.ErrTerminal) || ended.Code != "container_stopped" || ended.CloseCode != 4101 {
		t.Fatalf("stopping the container ends the terminal with container_stopped: %v", end)
	}
	if term.Err() != end {
		t.Errorf("Err is what Read ended with: %v", term.Err())
	}
	_, err = client.Terminal.Connect(ctx, box.ID, rexec.TerminalOptions{})
	refusal(t, err, 409, rexec.ErrInvalidState)
}
