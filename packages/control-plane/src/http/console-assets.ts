// Loads the built web console (packages/console/dist) into memory once at start-up: index.html
// and the content-hashed files under assets/, each with its type and a gzip copy. Serving from
// this fixed set means no filesystem access per request and no path that could leave the
// directory. Headers and routes are routes/console.ts's job.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Not worth compressing: a gzip copy is kept only when it saves at least this share. */
const MIN_GZIP_SAVING = 0.1;

export interface ConsoleFile {
  type: string;
  body: Buffer;
  gzip: Buffer | undefined;
}

export interface ConsoleAssets {
  dir: string;
  index: ConsoleFile;
  /** Keyed by file name under assets/ (`index-De-MaQPI.js`). */
  assets: ReadonlyMap<string, ConsoleFile>;
}

function file(name: string, body: Buffer): ConsoleFile {
  const type = TYPES[extname(name)] ?? 'application/octet-stream';
  const compressed =
    type.startsWith('image/png') || type === 'font/woff2' ? undefined : gzipSync(body);
  const gzip =
    compressed !== undefined && compressed.length <= body.length * (1 - MIN_GZIP_SAVING)
      ? compressed
      : undefined;
  return { type, body, gzip };
}

/**
 * The console in `dir`, or null when `dir` has no index.html (the console was not built). Other
 * read errors are thrown: a half-readable build should stop the start-up, not serve a broken page.
 */
export async function loadConsoleAssets(dir: string): Promise<ConsoleAssets | null> {
  let indexBody: Buffer;
  try {
    indexBody = await readFile(join(dir, 'index.html'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const assets = new Map<string, ConsoleFile>();
  const assetsDir = join(dir, 'assets');
  const names = await readdir(assetsDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  for (const name of names) {
    const path = join(assetsDir, name);
    if (!(await stat(path)).isFile()) continue;
    assets.set(name, file(name, await readFile(path)));
  }
  return { dir, index: file('index.html', indexBody), assets };
}
