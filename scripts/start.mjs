#!/usr/bin/env node
// `npm start`: builds the workspace when its output is missing or stale, then runs the control
// plane on the embedded database (PGlite in REXEC_DATA_DIR, default ./.rexec).
// Starting a local agent beside it belongs to the quickstart issue; until then this says so.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mainJs = join(root, 'packages/control-plane/dist/main.js');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function needsBuild() {
  if (!existsSync(mainJs)) return true;
  const built = statSync(mainJs).mtimeMs;
  return ['protocol', 'control-plane'].some(
    (pkg) => newestMtime(join(root, 'packages', pkg, 'src')) > built,
  );
}

if (needsBuild()) {
  console.error('rexec: building the workspace (tsc -b)…');
  const build = spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const env = { ...process.env, REXEC_DATA_DIR: process.env.REXEC_DATA_DIR ?? join(root, '.rexec') };
console.error(
  'rexec: starting the control plane on the embedded database; a local agent joins in a later release.',
);
const child = spawn(process.execPath, [mainJs], { cwd: root, env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
