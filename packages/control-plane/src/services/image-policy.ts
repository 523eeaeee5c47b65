// Which custom images a user may run and whether each use must go to its registry (issue 16):
// non-admins may name only registries REXEC_ALLOWED_REGISTRIES allows (by default any public one,
// never an IP address, localhost or a dotless LAN name), and every custom image is pulled on each
// create, so an image one tenant pulled is never run for another from the engine's cache alone.
// Pulling is the agent's; this file decides and explains.
import { imageNotAllowed } from '../errors.js';

/** `public`: any registry that is a public DNS name; `hosts`: registries allowed by name. */
export interface AllowedRegistries {
  public: boolean;
  hosts: ReadonlySet<string>;
}

export const PUBLIC_REGISTRIES: AllowedRegistries = { public: true, hosts: new Set() };

const REGISTRY_HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/;

/** `public`, registry hosts (`ghcr.io`, `10.0.0.5:5000`, `localhost`), comma-separated. */
export function parseAllowedRegistries(text: string): AllowedRegistries {
  const hosts = new Set<string>();
  let isPublic = false;
  for (const raw of text.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === 'public') isPublic = true;
    else if (REGISTRY_HOST.test(entry)) hosts.add(entry);
    else throw new Error(`"${entry}" is neither "public" nor a registry host such as ghcr.io`);
  }
  if (!isPublic && hosts.size === 0) {
    throw new Error('must name "public" or at least one registry host');
  }
  return { public: isPublic, hosts };
}

/** The registry a reference names: its first component when that is a host, else Docker Hub. */
export function registryOf(reference: string): string {
  const slash = reference.indexOf('/');
  const first = slash === -1 ? '' : reference.slice(0, slash).toLowerCase();
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  return isHost ? first : 'docker.io';
}

/** A registry reachable by name on the internet: not an IP address, localhost or a LAN name. */
export function isPublicRegistry(registry: string): boolean {
  if (registry.startsWith('[')) return false;
  const host = registry.replace(/:[0-9]+$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return false;
  if (/^[0-9.]+$/.test(host)) return false;
  for (const suffix of ['.local', '.internal', '.lan', '.home.arpa']) {
    if (host.endsWith(suffix)) return false;
  }
  return host.includes('.');
}

/** @throws RexecError image_not_allowed for a non-admin naming a registry not allowed. */
export function checkCustomImage(
  reference: string,
  caller: { isAdmin: boolean },
  allowed: AllowedRegistries,
): void {
  if (caller.isAdmin) return;
  const registry = registryOf(reference);
  if (allowed.hosts.has(registry)) return;
  if (allowed.public && isPublicRegistry(registry)) return;
  throw imageNotAllowed(reference, registry);
}

/**
 * `always` for every custom image, so each use is checked with its registry; `missing` for
 * `localhost/` images (built on the host, no registry to ask; only admins, or registries an admin
 * allowed, get there) and for catalog images (the operator's own).
 */
export function customImagePull(reference: string): 'always' | 'missing' {
  return registryOf(reference) === 'localhost' ? 'missing' : 'always';
}
