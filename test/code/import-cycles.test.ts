// No module of Rexec's packages imports itself back, by value or by type (issue 17: the hub and
// its message handler, the app and its routes, the agent's terminal manager and connection each
// did). dpdm builds the import graph from the TypeScript sources. The check is first run on two
// files that import each other, so a checker that finds nothing cannot pass for a clean tree.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCircular, parseDependencyTree } from 'dpdm';
import t from 'tap';
import { REPO_ROOT } from '../helpers/child-process.js';

const SOURCES = ['protocol', 'control-plane', 'agent', 'sdk', 'console'].map((name) =>
  join(REPO_ROOT, 'packages', name, 'src'),
);

async function typeScriptFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries
    .filter((name) => /\.tsx?$/.test(name) && !name.endsWith('.d.ts'))
    .map((name) => join(dir, name));
}

async function cyclesAmong(files: string[], context: string): Promise<string[][]> {
  const tree = await parseDependencyTree(files, {
    context,
    transform: false,
    skipDynamicImports: false,
    exclude: /node_modules/,
    // NodeNext resolution, which maps the sources' `./x.js` imports to `./x.ts`.
    tsconfig: join(REPO_ROOT, 'tsconfig.base.json'),
  });
  return parseCircular(tree);
}

void t.test('the check finds a cycle when there is one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'rexec-cycle-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'a.ts'), "import type { B } from './b.js';\nexport type A = B[];\n");
  await writeFile(join(dir, 'b.ts'), "import type { A } from './a.js';\nexport type B = A | 1;\n");
  const cycles = await cyclesAmong([join(dir, 'a.ts')], dir);
  t.equal(cycles.length, 1, 'a type-only cycle counts');
});

void t.test('no package module imports itself back', async (t) => {
  const files = (await Promise.all(SOURCES.map(typeScriptFiles))).flat();
  t.ok(files.length > 300, `${files.length} source files read`);
  const cycles = await cyclesAmong(files, REPO_ROOT);
  t.same(
    cycles.map((cycle) => cycle.join(' -> ')),
    [],
    'move what both sides need into a module of its own',
  );
});
