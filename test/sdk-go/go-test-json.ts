// Turns `go test -json` output into tap assertions, one per Go test and subtest (a skipped Go test
// fails: the suite has none on purpose), and builds the environment the go tool runs in here:
// caches under a given directory, the vendored dependencies only, no module proxy.
import { join } from 'node:path';
import type { Test } from 'tap';

interface GoEvent {
  Action: string;
  Package?: string;
  Test?: string;
  Output?: string;
  Elapsed?: number;
}

/** The go tool's environment: no network, no home directory needed, vendored modules only. */
export function goEnvironment(cacheRoot: string): Record<string, string> {
  return {
    GOCACHE: join(cacheRoot, 'build'),
    GOPATH: join(cacheRoot, 'gopath'),
    GOFLAGS: '-mod=vendor',
    GOPROXY: 'off',
    GO111MODULE: 'on',
    GOTOOLCHAIN: 'local',
    // The SDK is pure Go; without cgo no C compiler is involved.
    CGO_ENABLED: '0',
  };
}

function parse(line: string): GoEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && 'Action' in value
      ? (value as GoEvent)
      : undefined;
  } catch {
    return undefined; // a line go printed outside its JSON stream; kept as stray output below
  }
}

/** Reports every finished Go test as an assertion; returns the counts. */
export function reportGoTests(
  t: Test,
  stdout: string,
  stderr: string,
): { passed: number; failed: number } {
  const output = new Map<string, string[]>();
  const stray: string[] = [];
  let passed = 0;
  let failed = 0;
  for (const line of stdout.split('\n')) {
    const event = parse(line);
    if (event === undefined) {
      if (line.trim() !== '') stray.push(line);
      continue;
    }
    const key = `${event.Package ?? ''} ${event.Test ?? ''}`;
    if (event.Action === 'output') {
      const lines = output.get(key) ?? [];
      lines.push(event.Output ?? '');
      output.set(key, lines);
      continue;
    }
    if (!['pass', 'fail', 'skip'].includes(event.Action)) continue;
    const text = (output.get(key) ?? []).join('');
    if (event.Test === undefined) {
      // A package's own result: only a failure says something the tests did not (a build error).
      if (event.Action === 'fail') {
        failed += 1;
        t.fail(`go package ${event.Package ?? '?'} failed`, {
          output: [text, ...stray, stderr].join('\n').slice(-8000),
        });
      }
      continue;
    }
    const name = `Go ${event.Test} (${((event.Elapsed ?? 0) * 1000).toFixed(0)} ms)`;
    if (event.Action === 'pass') {
      passed += 1;
      t.pass(name);
    } else {
      failed += 1;
      t.fail(event.Action === 'skip' ? `${name} was skipped` : name, {
        output: text.slice(-8000),
      });
    }
  }
  return { passed, failed };
}
