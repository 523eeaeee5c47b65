// Collects a terminal's output as text so a test can wait for a line to appear. Decoding is
// streaming, so a UTF-8 character split across frames is not mangled.
import type { Terminal } from '@rexec/sdk/node';

export interface Output {
  text(): string;
  /** Resolves once the output (from `from` on) matches; rejects after timeoutMs with the output. */
  waitFor(pattern: RegExp, timeoutMs?: number, from?: number): Promise<void>;
}

export function collect(terminal: Terminal): Output {
  const decoder = new TextDecoder();
  let text = '';
  const waiters = new Set<() => void>();
  terminal.onData((chunk) => {
    text += decoder.decode(chunk, { stream: true });
    for (const wake of waiters) wake();
  });
  return {
    text: () => text,
    waitFor(pattern, timeoutMs = 20_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(text.slice(from))) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`terminal output never matched ${pattern}; got:\n${text}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/**
 * Types `line` every half second until the output (after this call) matches: for answers that
 * change asynchronously, like `stty size` after a resize (the engine forwards the new size to the
 * container's own terminal on its own schedule).
 */
export async function askUntil(
  terminal: Pick<Terminal, 'write'>,
  output: Output,
  line: string,
  pattern: RegExp,
  timeoutMs = 20_000,
): Promise<void> {
  const from = output.text().length;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    terminal.write(line);
    const wait = Math.min(500, deadline - Date.now());
    try {
      await output.waitFor(pattern, Math.max(wait, 1), from);
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
  }
}
