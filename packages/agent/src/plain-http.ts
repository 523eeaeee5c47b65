// Whether the agent may reach its control plane over plain http://: only on this machine, or when
// the operator says the network is trusted. Plain http:// to another machine would carry the join
// token, the host credential and every terminal's keystrokes in clear. config.ts refuses it.

/** True for names and addresses that never leave this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

/** Why `url` may not be used as it is, or null when it may. */
export function plainHttpProblem(url: URL, insecureHttp: boolean): string | null {
  if (url.protocol !== 'http:' || insecureHttp || isLoopbackHost(url.hostname)) return null;
  return (
    `REXEC_URL (--url) is plain http:// to ${url.hostname}, which is not this machine: the join ` +
    'token, the host credential and every terminal would cross the network unencrypted. Use ' +
    'https://, or set REXEC_INSECURE_HTTP=true (--insecure-http) if the network between this ' +
    'host and the control plane is trusted.'
  );
}
