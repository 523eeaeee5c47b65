// What `npm start` tells its user once everything is up: the URL, the admin token, the local host,
// where the logs are, and a curl line that creates a container, ready to paste. Text only; finding
// the values is start.mjs's.

/**
 * No resources: the admin's tier defaults (2 cores with CPU overcommitted, 4 GB, 20 GB) fit a
 * small host, and a host too small for them answers no_capacity with what would fit.
 */
export function curlCreateLine(url, token, imageBody) {
  const body = JSON.stringify(imageBody);
  return (
    `curl -s -X POST '${url}/api/v1/containers' -H 'Authorization: Bearer ${token}' ` +
    `-H 'content-type: application/json' -d '${body}'`
  );
}

export function curlListLine(url, token) {
  return `curl -s '${url}/api/v1/containers' -H 'Authorization: Bearer ${token}'`;
}

/** The block printed to stdout; every line is self-contained so it can be grepped. */
export function summary({ url, adminToken, tokenSource, host, engineHint, image, logsDir }) {
  const lines = [
    '',
    'Rexec is running.',
    `  URL:          ${url}  (REST API under /api/v1)`,
    `  Console:      ${url}/  (open it in a browser; sign in with the admin token)`,
  ];
  lines.push(
    adminToken === null
      ? '  Admin token:  unknown (no admin-token file and no REXEC_BOOTSTRAP_ADMIN_TOKEN)'
      : `  Admin token:  ${adminToken}  (${tokenSource})`,
  );
  lines.push(host === null ? '  Host:         none joined' : `  Host:         ${host}`);
  lines.push(`  Logs:         ${logsDir}/control-plane.log, ${logsDir}/agent.log`);
  if (engineHint !== null) lines.push('', engineHint);
  if (adminToken !== null && image !== null) {
    lines.push(
      '',
      `Create a container from ${image.note}:`,
      `  ${curlCreateLine(url, adminToken, image.body)}`,
      'List your containers:',
      `  ${curlListLine(url, adminToken)}`,
    );
  }
  lines.push(
    '',
    'Press Ctrl-C to stop Rexec; containers keep running and are there next time.',
    '',
  );
  return lines.join('\n');
}

export function noEngineHint(problems) {
  return [
    'No container engine can run containers here, so no local agent was started and every create',
    'answers 503 no_capacity. Install Podman ("apt-get install podman runc" on Debian/Ubuntu) or',
    'Docker (https://docs.docker.com/engine/install/), then run "npm start" again.',
    ...problems.map((problem) => `  - ${problem}`),
  ].join('\n');
}
