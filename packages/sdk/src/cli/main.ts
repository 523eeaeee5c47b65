#!/usr/bin/env node
// The `rexec` executable: the CLI's composition root. Hands the process's streams, environment and
// SIGWINCH to runCli and exits with the code it resolves to; everything else lives in run.ts.
import { runCli } from './run.js';

const exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  onResize(listener) {
    process.on('SIGWINCH', listener);
    return () => process.off('SIGWINCH', listener);
  },
});
// Exit only once stdout has drained, so piped JSON is never cut short.
process.stdout.write('', () => process.exit(exitCode));
