// Exec against the real server: exit code and both streams, stdin, env and cwd, output that is not
// UTF-8, a timeout, and the refusal of a stopped container.

package rexec_test

import (
	"bytes"
	"errors"
	"testing"

	rexec "github.com/rexec/rexec/sdk/go"
)

func TestExecRunsACommandAndAnswersItsCodeAndOutput(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	client := admin()
	created, err := client.Containers.Create(ctx, boxRequest(uniqueName("go-exec")))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { removeBox(t, client, created.ID) })
	if _, err := client.Containers.WaitRunning(ctx, created.ID); err != nil {
		t.Fatalf("wait running: %v", err)
	}

	input := "from stdin\n"
	shell, err := client.Containers.Exec(ctx, created.ID, rexec.ExecRequest{
		Command: `cat; echo "$GREETING in $(pwd)"; echo oops >&2; exit 3`,
		Env:     map[string]string{"GREETING": "hi"},
		Cwd:     "/tmp",
		Stdin:   &input,
	})
	if err != nil {
		t.Fatalf("exec: %v", err)
	}
	if shell.ExitCode == nil || *shell.ExitCode != 3 || shell.TimedOut {
		t.Fatalf("exit: %+v", shell)
	}
	if shell.Stdout != "from stdin\nhi in /tmp\n" || shell.Stderr != "oops\n" {
		t.Fatalf("output: %q / %q", shell.Stdout, shell.Stderr)
	}

	binary, err := client.Containers.Exec(ctx, created.ID, rexec.ExecRequest{
		Argv: []string{"printf", `\377\376ok`},
	})
	if err != nil {
		t.Fatalf("exec printf: %v", err)
	}
	raw, err := binary.StdoutBytes()
	if err != nil || !bytes.Equal(raw, []byte{0xff, 0xfe, 'o', 'k'}) || binary.StdoutBase64 == "" {
		t.Fatalf("non-UTF-8 output: %+v %v %v", binary, raw, err)
	}

	slow, err := client.Containers.Exec(ctx, created.ID, rexec.ExecRequest{
		Argv:           []string{"sleep", "30"},
		TimeoutSeconds: 1,
	})
	if err != nil || !slow.TimedOut || slow.ExitCode != nil {
		t.Fatalf("timeout: %+v, %v", slow, err)
	}

	if _, err := client.Containers.Stop(ctx, created.ID); err != nil {
		t.Fatalf("stop: %v", err)
	}
	_, err = client.Containers.Exec(ctx, created.ID, rexec.ExecRequest{Argv: []string{"true"}})
	if !errors.Is(err, rexec.ErrInvalidState) {
		t.Fatalf("exec on a stopped container: %v, want invalid_state", err)
	}
}
