// The browser entry in a real browser: packages/sdk/src/index.ts is bundled for the browser with
// esbuild (which refuses Node built-ins there) and loaded in Debian's Chromium through
// playwright-core, on a page of a real control plane, where it signs in with its global fetch and
// gets a typed RexecError back. The bundle must carry nothing of `ws`. The Node entry must reach
// `ws` (walked over its imports), or terminals in Node would have no socket.
/// <reference lib="dom" />
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import type * as Sdk from '../../packages/sdk/src/index.js';
import t from 'tap';
import { startBrowser } from '../console/browser.js';
import { call, startServer } from '../control-plane/http/server.js';
import { REPO_ROOT } from '../helpers/child-process.js';

const SOURCE = join(REPO_ROOT, 'packages/sdk/src');
// Statements at the start of a line (not words inside strings); `import type` is erased by the
// compiler, so it costs a bundle nothing and is not followed.
const IMPORT =
  /^(?:import|export)(?!\s+type\b)\s[^'"]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every bare module (package or built-in) reachable from `entry`, with the file importing it. */
async function externalImports(entry: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const seen = new Set<string>();
  const queue = [entry];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await readFile(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? '';
      if (specifier.startsWith('.')) {
        queue.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      } else if (!found.has(specifier)) {
        found.set(specifier, file);
      }
    }
  }
  return found;
}

/** The browser entry as a browser would get it: one script exposing the SDK as `RexecSdk`. */
async function browserBundle(): Promise<{ code: string; inputs: string[] }> {
  const result = await build({
    entryPoints: [join(SOURCE, 'index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'RexecSdk',
    conditions: ['rexec-source'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return {
    code: result.outputFiles[0]?.text ?? '',
    inputs: Object.keys(result.metafile.inputs),
  };
}

void t.test('the browser entry runs in Chromium against a control plane', async (t) => {
  const { code, inputs } = await browserBundle();
  t.same(
    inputs.filter((input) => /(^|\/)node_modules\/ws\/|^node:/.test(input)),
    [],
    'nothing of ws or Node is bundled',
  );
  const server = await startServer(t, 'pglite');
  const browser = await startBrowser(t);
  const page = await browser.page();
  // A page of the control plane's own origin, so the SDK's requests are same-origin.
  await page.goto(`${server.url}/healthz`);
  await page.addScriptTag({ content: code });
  const seen = await page.evaluate(
    async ({ baseUrl, token }) => {
      const sdk = (window as unknown as { RexecSdk: typeof Sdk }).RexecSdk;
      const client = new sdk.RexecClient({ baseUrl, token });
      const me = await client.me();
      const missing = await client.containers.get('no-such-box').catch((error: unknown) => error);
      return {
        user: me.user.name,
        isRexecError: sdk.isRexecError(missing),
        code: (missing as { code?: string }).code,
        status: (missing as { status?: number }).status,
        hasNodeGlobals: typeof (globalThis as { process?: unknown }).process !== 'undefined',
      };
    },
    { baseUrl: server.url, token: server.adminToken },
  );
  const me = await call(server, 'GET', '/api/v1/me', { token: server.adminToken });
  t.equal(seen.user, me.body.user.name, 'me() through the browser fetch');
  t.same(
    [seen.isRexecError, seen.code, seen.status],
    [true, 'not_found', 404],
    'an error answer is a RexecError in the browser too',
  );
  t.equal(seen.hasNodeGlobals, false, 'the page is a browser, not Node');
  t.same(browser.problems, [], 'no page errors');
});

void t.test('the Node entry adds ws for terminals and tar for directory transfers', async (t) => {
  const imports = await externalImports(join(SOURCE, 'node.ts'));
  t.ok(imports.has('ws'), 'ws is reachable from the Node entry');
  t.ok(imports.has('tar'), 'tar packs and unpacks files.upload/download');
  t.same(
    [...imports.keys()].filter(
      (name) =>
        name !== 'ws' && name !== 'tar' && name !== '@rexec/protocol' && !name.startsWith('node:'),
    ),
    [],
    'nothing else but Node built-ins',
  );
});
