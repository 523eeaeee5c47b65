// A throwaway image registry on loopback for pull tests: Debian's docker-registry (distribution
// 2.8) run by the test itself on 127.0.0.1 port 0 with a temp storage directory and config, never
// the packaged systemd service. Keeps the requests it served, so a test can show a pull reached it.
// Stopped and its directory removed at the end of the test that started it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Test } from 'tap';

const REGISTRY_BINARY = 'docker-registry';
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;

export interface LoopbackRegistry {
  /** `127.0.0.1:<port>`, the registry part of references to push and pull. */
  host: string;
  /** A registries.conf that lets podman speak plain HTTP to this registry (nothing else). */
  registriesConf: string;
  /** `METHOD uri` of every request served so far, in order. */
  requests(): string[];
}

interface RegistryLogLine {
  msg?: unknown;
  'http.request.method'?: unknown;
  'http.request.uri'?: unknown;
}

function parse(line: string): RegistryLogLine | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? value : null;
  } catch {
    return null; // not one of its JSON log lines: kept only for the failure message
  }
}

function config(storage: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: json',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    'http:',
    '  addr: 127.0.0.1:0',
    '  secret: rexec-test-only',
    '',
  ].join('\n');
}

/** Starts the registry and waits for its "listening on" line; fails the test when it cannot. */
export async function startLoopbackRegistry(t: Test): Promise<LoopbackRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'rexec-registry-'));
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, config(join(dir, 'storage')));
  const child = spawn(REGISTRY_BINARY, ['serve', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  });
  const output: string[] = [];
  const served: string[] = [];
  const host = await new Promise<string>((resolve, reject) => {
    const fail = (reason: string) => {
      clearTimeout(timer);
      reject(new Error(`${REGISTRY_BINARY} ${reason}; its output:\n${output.join('\n')}`));
    };
    const timer = setTimeout(() => fail('did not say where it listens'), READY_TIMEOUT_MS);
    child.once('error', (error) =>
      fail(`could not be started (${error.message}); .ci/run installs Debian's docker-registry`),
    );
    child.once('exit', (code, signal) => fail(`exited (code ${code}, signal ${signal})`));
    // distribution logs to stderr; stdout is watched too in case a build differs.
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        const entry = parse(line);
        const method = entry?.['http.request.method'];
        const uri = entry?.['http.request.uri'];
        if (entry?.msg === 'response completed' && typeof method === 'string') {
          served.push(`${method} ${String(uri)}`);
        }
        const listening = /^listening on (127\.0\.0\.1:[0-9]+)$/.exec(String(entry?.msg));
        if (listening?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(listening[1]);
        }
      });
    }
  });
  const registriesConf = join(dir, 'registries.conf');
  await writeFile(registriesConf, `[[registry]]\nlocation = "${host}"\ninsecure = true\n`);
  return { host, registriesConf, requests: () => [...served] };
}
