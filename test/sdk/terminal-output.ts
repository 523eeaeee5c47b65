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
