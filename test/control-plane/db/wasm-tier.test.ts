// The baseline-tier flag is one this Node's V8 knows: set at run time, an unknown flag would be
// ignored with a line on stderr, and the control plane would quietly keep TurboFan's memory.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import {
  BASELINE_WASM_FLAG,
  keepWasmOnBaselineTier,
} from '../../../packages/control-plane/src/db/wasm-tier.js';

void t.test('node accepts the flag on its command line, where an unknown one fails', async (t) => {
  const run = promisify(execFile);
  await t.resolves(run(process.execPath, [BASELINE_WASM_FLAG, '-e', '']), 'accepted');
  await t.rejects(run(process.execPath, ['--no-such-v8-flag', '-e', '']), 'a control: refused');
});

void t.test('setting it at run time leaves WebAssembly working', async (t) => {
  keepWasmOnBaselineTier();
  // The smallest valid module: magic and version only.
  const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  t.ok(await WebAssembly.compile(empty), 'a module still compiles');
});
