// Creates a new PGlite data directory in a short-lived child process. PGlite's initdb runs a second
// Postgres in memory, copies its whole WASM heap before each step and hands the result over as an
// in-memory tar: several hundred MB that, done in the control plane, stay resident after start
// (nothing makes an idle process collect them, and what is collected stays in malloc's arenas).
// A child's exit gives all of it back. Opening the directory is open.ts's job.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { BASELINE_WASM_FLAG } from './wasm-tier.js';

/** Run with `node --input-type=module -e`: argv is [node, module URL, data dir, start params]. */
const CHILD_SCRIPT = `
const [moduleUrl, dataDir, startParams] = process.argv.slice(1);
// The parent going away closes this pipe: stop rather than go on writing a directory alone.
process.stdin.on('end', () => process.exit(1));
process.stdin.resume();
try {
  const { PGlite } = await import(moduleUrl);
  // Postgres's own messages (a refused setting, say) reach the parent only through this.
  const onStderr = (line) => { process.stderr.write(line + '\\n'); return false; };
  const pg = await PGlite.create({ dataDir, startParams: JSON.parse(startParams), onStderr });
  await pg.close();
  process.exit(0);
} catch (error) {
  process.stderr.write(String(error?.stack ?? error));
  process.exit(1);
}
`;

/** The most of the child's stderr kept for an error message. */
const STDERR_KEPT_CHARS = 8_000;

/** True once dataDir holds a Postgres cluster (initdb writes PG_VERSION). */
async function hasCluster(dataDir: string): Promise<boolean> {
  try {
    await access(join(dataDir, 'PG_VERSION'));
    return true;
  } catch {
    // Absent (or unreadable, which PGlite's own open then reports with its reason).
    return false;
  }
}

/**
 * Runs PGlite's initdb for dataDir in a child process unless dataDir already holds a cluster,
 * with the start parameters the directory will be opened with.
 *
 * Thrown when the child fails; the message carries its exit status and stderr.
 */
export async function initPgliteInChild(
  dataDir: string,
  startParams: readonly string[],
): Promise<void> {
  if (await hasCluster(dataDir)) return;
  const child = spawn(
    process.execPath,
    [
      // initdb is short work: TurboFan's compiles would cost it more CPU than they save.
      BASELINE_WASM_FLAG,
      '--input-type=module',
      '-e',
      CHILD_SCRIPT,
      import.meta.resolve('@electric-sql/pglite'),
      dataDir,
      JSON.stringify(startParams),
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT_CHARS);
  });
  // 'close' waits for stderr to be read to the end as well.
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  child.stdin.destroy();
  if (code !== 0) {
    const status = signal === null ? `exited with ${String(code)}` : `was killed (${signal})`;
    throw new Error(`initdb for ${dataDir} in a child process ${status}: ${stderr.trim()}`);
  }
}
