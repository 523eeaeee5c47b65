// Ends a shell inside its container. Killing the `<engine> exec` client is not enough: the engine
// keeps the exec'd shell running without it. Every shell is started with a unique
// REXEC_TERMINAL_ID in its environment, which its children inherit, so a short script run by a
// second exec finds them in /proc: all get SIGHUP (what closing a real terminal does, so nohup'd
// jobs survive) and the shell itself, the marked process without a marked parent, gets SIGKILL.
import { execa } from 'execa';
import { containerName } from '../runtime/index.js';

export const TERMINAL_ID_VARIABLE = 'REXEC_TERMINAL_ID';

const KILL_TIMEOUT_MS = 10_000;

// $1 is the marker; plain POSIX sh plus tr and grep, present in busybox and every distribution.
const KILL_SCRIPT = `
m="${TERMINAL_ID_VARIABLE}=$1"; marked=" "
for d in /proc/[0-9]*; do
  if tr '\\000' '\\n' < "$d/environ" 2>/dev/null | grep -qxF "$m"; then marked="$marked\${d#/proc/} "; fi
done
roots=""
for p in $marked; do
  read -r stat < "/proc/$p/stat" 2>/dev/null || continue
  set -- \${stat##*) }
  case "$marked" in *" $2 "*) ;; *) roots="$roots $p" ;; esac
done
[ "$marked" = " " ] || kill -HUP $marked 2>/dev/null
[ -z "$roots" ] || kill -KILL $roots 2>/dev/null
exit 0
`;

/** Resolves once the script ran; rejects (with the engine's message) when it could not run. */
export async function killShellInContainer(
  binary: string,
  containerId: string,
  terminalId: string,
): Promise<void> {
  await execa(
    binary,
    ['exec', containerName(containerId), 'sh', '-c', KILL_SCRIPT, 'rexec-kill', terminalId],
    { timeout: KILL_TIMEOUT_MS },
  );
}
