// Shared by the deploy/ script suites: where the scripts are, a temporary root per test, running
// a script, and reading back what it wrote (modes, a content snapshot for idempotence checks).
// Also runs an installed control plane with plain node to prove the copied code is complete.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import type { Test } from 'tap';
import { REPO_ROOT } from '../helpers/child-process.js';

export const DEPLOY = join(REPO_ROOT, 'deploy');
export const SCRIPTS = ['lib.sh', 'install-control-plane.sh', 'install-agent.sh', 'uninstall.sh'];
export const UNITS = ['rexec-control-plane.service', 'rexec-agent.service'];

export async function tempRoot(t: Test): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'rexec-root-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  return root;
}

export function script(name: string, args: string[]) {
  return execa('bash', [join(DEPLOY, name), ...args], { reject: false, cwd: tmpdir() });
}

export async function mode(path: string): Promise<string> {
  return ((await lstat(path)).mode & 0o7777).toString(8).padStart(4, '0');
}

/** Every path under dir with its type, mode and content hash (or link target). */
export async function snapshot(dir: string, prefix = ''): Promise<string[]> {
  const lines: string[] = [];
  for (const entry of (await readdir(join(dir, prefix))).sort()) {
    const rel = join(prefix, entry);
    const path = join(dir, rel);
    const info = await lstat(path);
    const perms = (info.mode & 0o7777).toString(8);
    if (info.isSymbolicLink()) {
      lines.push(`${rel} link ${await readlink(path)}`);
    } else if (info.isDirectory()) {
      lines.push(`${rel} dir ${perms}`);
      lines.push(...(await snapshot(dir, rel)));
    } else {
      const hash = createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
      lines.push(`${rel} file ${perms} ${hash}`);
    }
  }
  return lines;
}

/** Runs an installed control plane with plain node (no tsx, no source condition) until it listens. */
export async function runInstalledControlPlane(
  entry: string,
  dataDir: string,
): Promise<number | null> {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env['PATH'] ?? '', REXEC_PORT: '0', REXEC_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
  const exited = once(child, 'exit') as Promise<[number | null]>;
  const listening = await new Promise<boolean>((resolve) => {
    // Generous: the first PGlite start and migrations are slow on a busy 2-core machine.
    const timer = setTimeout(() => resolve(false), 180_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      if (line.includes('"msg":"listening"')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    void exited.then(() => resolve(false));
  });
  child.kill('SIGTERM');
  const [code] = await exited;
  if (!listening)
    throw new Error(`the installed control plane did not listen:\n${output.join('\n')}`);
  return code;
}
