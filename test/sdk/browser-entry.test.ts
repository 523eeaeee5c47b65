// The browser entry must stay free of Node: walks the import graph of packages/sdk/src/index.ts
// (every static and dynamic import, following relative ones) and fails on `ws` or any Node
// built-in. The Node entry must reach `ws`, or terminals in Node would have no socket.
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import t from 'tap';
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

void t.test('the browser entry imports only @rexec/protocol', async (t) => {
  const imports = await externalImports(join(SOURCE, 'index.ts'));
  t.same([...imports.keys()].sort(), ['@rexec/protocol'], JSON.stringify([...imports]));
});

void t.test('the Node entry adds ws for terminals', async (t) => {
  const imports = await externalImports(join(SOURCE, 'node.ts'));
  t.ok(imports.has('ws'), 'ws is reachable from the Node entry');
  t.same(
    [...imports.keys()].filter((name) => name !== 'ws' && name !== '@rexec/protocol'),
    [],
    'nothing else',
  );
});
