// Turns whatever an API call rejected with into words for people, and into per-field messages for
// forms (invalid_request issues, resource_limit_exceeded, name_taken). The API's own sentence is
// kept; the console adds what to do about it.
import { isRexecError } from '@rexec/sdk';

const RESOURCE_FIELDS: Record<string, string> = {
  cpu_millicores: 'resources.cpu_millicores',
  memory_mb: 'resources.memory_mb',
  disk_mb: 'resources.disk_mb',
  network_mbps: 'resources.network_mbps',
};

export function describeError(error: unknown): string {
  if (!isRexecError(error)) {
    return error instanceof Error ? error.message : `Something went wrong: ${String(error)}`;
  }
  const said = error.message;
  switch (error.code) {
    case 'network_error':
      return 'Cannot reach the control plane. Check your connection; the console retries on its own.';
    case 'unauthorized':
      return `That token was not accepted: ${said}`;
    case 'forbidden':
      return `You are not allowed to do that: ${said}`;
    case 'rate_limited':
      return `Too many requests; try again in ${error.retryAfter ?? 'a few'} seconds.`;
    case 'no_capacity':
      // The server says why (no host online, all cordoned, none with room) and what fits now.
      return error.details['reason'] === 'no_host_with_room'
        ? `${said} Try smaller resources.`
        : said;
    case 'container_limit_reached':
      return `You have reached your tier's container limit: ${said} Delete a container first.`;
    case 'unavailable':
      return `The control plane's database is unavailable: ${said}`;
    case 'internal':
      return `The control plane failed on this request (${error.requestId ?? 'no request id'}): ${said}`;
    default:
      return said;
  }
}

/** Messages keyed by form field (`name`, `resources.memory_mb`, …); `''` holds the rest. */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!isRexecError(error)) return { '': describeError(error) };
  if (error.code === 'invalid_request' && Array.isArray(error.details['issues'])) {
    const byField: Record<string, string> = {};
    for (const issue of error.details['issues'] as { path?: string; message?: string }[]) {
      const path = typeof issue.path === 'string' && issue.path !== '' ? issue.path : '';
      byField[path] = [byField[path], issue.message ?? 'is invalid'].filter(Boolean).join('; ');
    }
    if (byField[''] === undefined) byField[''] = error.message;
    return byField;
  }
  if (error.code === 'resource_limit_exceeded') {
    const resource = error.details['resource'];
    const field = typeof resource === 'string' ? RESOURCE_FIELDS[resource] : undefined;
    if (field !== undefined) return { [field]: error.message, '': 'Fix the fields marked below.' };
  }
  if (error.code === 'name_taken')
    return { name: error.message, '': 'Fix the fields marked below.' };
  return { '': describeError(error) };
}
