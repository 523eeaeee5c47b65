// The few control-plane calls `npm start` makes with the admin token: checking the token, minting a
// join token for the local agent's first run. The admin token itself comes from
// REXEC_BOOTSTRAP_ADMIN_TOKEN or the file the control plane writes; creating it is the control plane's.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin-token';

/** Thrown when the control plane refuses or garbles a call; the message says which and why. */
export class ApiError extends Error {
  name = 'ApiError';
}

/** The admin token: the bootstrap variable if set, else `<dataDir>/admin-token`, else null. */
export function readAdminToken(env, dataDir) {
  const seeded = env.REXEC_BOOTSTRAP_ADMIN_TOKEN;
  if (seeded !== undefined && seeded.trim() !== '') return seeded.trim();
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  if (!existsSync(path)) return null;
  const token = readFileSync(path, 'utf8').trim();
  return token === '' ? null : token;
}

async function call(baseUrl, token, method, path, body) {
  let response;
  try {
    response = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(`${method} ${path} did not reach the control plane`, { cause: error });
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch (error) {
    throw new ApiError(`${method} ${path} answered ${response.status} with non-JSON`, {
      cause: error,
    });
  }
  if (!response.ok) {
    const reason = typeof parsed?.error === 'string' ? `: ${parsed.error}` : '';
    throw new ApiError(`${method} ${path} answered ${response.status}${reason}`);
  }
  return parsed;
}

/** The admin's user name, proving the token works against this database. */
export async function checkAdminToken(baseUrl, token) {
  const me = await call(baseUrl, token, 'GET', '/me');
  return typeof me?.user?.name === 'string' ? me.user.name : 'admin';
}

/** A fresh join token (valid 10 minutes: it is used within seconds, by the agent started next). */
export async function mintJoinToken(baseUrl, adminToken) {
  const created = await call(baseUrl, adminToken, 'POST', '/hosts/join-tokens', {
    expires_in_seconds: 600,
  });
  if (typeof created?.token !== 'string') {
    throw new ApiError('POST /hosts/join-tokens answered without a token');
  }
  return created.token;
}

/** Whether the host's agent reported network isolation (its host guard is in place). */
export async function hostIsolated(baseUrl, token, hostId) {
  const host = await call(baseUrl, token, 'GET', `/hosts/${encodeURIComponent(hostId)}`);
  return host?.network_isolation === true || host?.trusted === true;
}
