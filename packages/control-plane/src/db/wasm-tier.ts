// Keeps WebAssembly (PGlite's Postgres) on V8's baseline compiler, Liftoff. V8 otherwise
// recompiles hot WASM functions with TurboFan on background threads, and glibc keeps those
// threads' scratch memory in per-thread arenas after it is freed: 60-100 MB of an idle control
// plane's RSS (bench/memory.ts), bought for no measurable gain on Rexec's short statements, whose
// cost is in JavaScript. Process-wide, so only a composition root decides to use it.
import { setFlagsFromString } from 'node:v8';

/** The V8 flag, for a child process's argv. */
export const BASELINE_WASM_FLAG = '--liftoff-only';

/** Takes effect for WASM compiled afterwards: call it before the database is opened. */
export function keepWasmOnBaselineTier(): void {
  setFlagsFromString(BASELINE_WASM_FLAG);
}
