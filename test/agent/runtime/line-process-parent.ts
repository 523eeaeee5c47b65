// The "agent" of line-process-orphan.test.ts: keeps `sleep 600` as a line process, prints the pid
// of the process running it, and waits to be killed.
import { execSync } from 'node:child_process';
import { pino } from 'pino';
import { startLineProcess } from '../../../packages/agent/src/runtime/line-process.js';

startLineProcess({
  binary: 'sleep',
  args: () => ['600'],
  onLine: () => undefined,
  log: pino({ level: 'silent' }),
});
// The kept process is this process's child running `sleep` (setpriv execs it), among others.
for (let found = false; !found;) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  const listed = execSync(`ps -o pid=,comm= --ppid ${process.pid} || true`, { encoding: 'utf8' });
  for (const line of listed.split('\n')) {
    const [pid, command] = line.trim().split(/\s+/);
    if (command !== 'sleep' || pid === undefined) continue;
    process.stdout.write(`child ${pid}\n`);
    found = true;
  }
}
setInterval(() => undefined, 60_000);
