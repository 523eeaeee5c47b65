// A long-running CLI process the agent keeps (the engine's `events`, `dmesg --follow-new`) dies
// with the agent, also when the agent is killed with SIGKILL and cannot stop it: an `events`
// process of a host without containers otherwise waited for an event for ever, and one was found
// still running after a suite that killed its agents.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

void t.test('the kept process dies with a SIGKILLed agent', { timeout: 30_000 }, async (t) => {
  const script = fileURLToPath(new URL('./line-process-parent.ts', import.meta.url));
  const parent = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => parent.kill('SIGKILL'));
  // The parent prints its child's pid once the child runs.
  const childPid = await new Promise<number>((resolve, reject) => {
    let out = '';
    parent.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /child (\d+)\n/.exec(out);
      if (match?.[1] !== undefined) resolve(Number(match[1]));
    });
    parent.once('exit', () => reject(new Error(`the parent exited early: ${out}`)));
  });
  t.teardown(() => {
    if (alive(childPid)) process.kill(childPid, 'SIGKILL');
  });
  t.ok(alive(childPid), 'the kept process runs');
  parent.kill('SIGKILL');
  let gone = false;
  for (let i = 0; i < 50 && !gone; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    gone = !alive(childPid);
  }
  t.ok(gone, 'and is gone within 5 s of its parent');
});
