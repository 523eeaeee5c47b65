// What to do after the common errors: one line the CLI prints under the server's sentence. The
// server's message says what went wrong; this names the command (or setting) that moves on.
// Codes without an obvious next step get none rather than a guess.
import type { RexecError } from '../errors.js';

interface Amounts {
  cpu_millicores: number;
  memory_mb: number;
  disk_mb: number;
}

function isAmounts(value: unknown): value is Amounts {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return ['cpu_millicores', 'memory_mb', 'disk_mb'].every((key) => typeof v[key] === 'number');
}

function noCapacityStep(details: Record<string, unknown>): string {
  switch (details['reason']) {
    case 'no_host_online':
      return (
        'start an agent on a host: an admin runs "rexec hosts join-token", then ' +
        'REXEC_URL=<url> REXEC_JOIN_TOKEN=<token> rexec-agent there (README, Hosts).'
      );
    case 'no_host_schedulable':
      return (
        'an admin can put a host back: "rexec hosts" lists them, "rexec hosts uncordon <id>"; ' +
        'one without network isolation takes containers once trusted: "rexec hosts trust <id>".'
      );
    default: {
      const fit = details['largest_fit'];
      if (!isAmounts(fit))
        return 'wait for room (delete containers you no longer need), or add a host.';
      return (
        `ask for less, e.g. rexec create … --cpu ${fit.cpu_millicores}m ` +
        `--memory ${fit.memory_mb} --disk ${fit.disk_mb}`
      );
    }
  }
}

/** The next step for `error`, or undefined when there is no useful one. */
export function nextStep(error: RexecError): string | undefined {
  switch (error.code) {
    case 'unauthorized':
      return 'log in again: rexec login --url <url> --token-stdin < token-file';
    case 'forbidden':
      return 'this needs an admin token.';
    case 'not_found':
      return '"rexec ls" lists your containers (by name or id).';
    case 'container_limit_reached':
      return 'remove one you no longer need: "rexec ls", then "rexec rm <name>".';
    case 'resource_limit_exceeded':
      return '"rexec me" shows your tier\'s maxima; ask for less or leave the flag out for the default.';
    case 'name_taken':
      return 'pick another --name, or remove the old one with "rexec rm <name>".';
    case 'invalid_state':
      return '"rexec get <name>" shows its status; "rexec start <name>" starts a stopped one.';
    case 'no_capacity':
      return noCapacityStep(error.details);
    case 'network_error':
      return 'is the control plane running at that URL? Start it (npm start) or fix it with "rexec login --url <url>".';
    case 'host_unavailable':
      return 'its host is offline; try again once it reconnects (an admin sees it in "rexec hosts").';
    default:
      return undefined;
  }
}
