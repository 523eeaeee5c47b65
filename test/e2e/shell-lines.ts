// Typing a line into a terminal in the e2e suites and waiting for what it prints: once, or again
// every half second for answers that change asynchronously (`stty size` after a resize, which the
// engine passes on to the container's own terminal after the shell may already have run the next
// line).
import type { TerminalClient } from '../control-plane/terminal/terminal-client.js';

/** Types `line` and waits for output matching `pattern` after what was there before. */
export async function run(
  client: TerminalClient,
  line: string,
  pattern: RegExp,
  timeoutMs = 20_000,
): Promise<string> {
  const from = client.outputBytes;
  const since = () => client.tail(client.outputBytes - from);
  client.type(`${line}\r`);
  await client.until(() => pattern.test(since()), timeoutMs, `output of ${line}`);
  return since();
}

/** `run` again every half second until its output matches, for 20 s. */
export async function runUntil(
  client: TerminalClient,
  line: string,
  pattern: RegExp,
): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const answer = await run(client, line, pattern, 500).catch((error: unknown) => {
      if (Date.now() >= deadline) throw error;
      return null;
    });
    if (answer !== null) return answer;
  }
}
