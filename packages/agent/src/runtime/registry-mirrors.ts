// Registry mirrors for pulls (REXEC_REGISTRY_MIRRORS, `docker.io=mirror.local:5000,…`): parsing
// the setting and rewriting a reference's registry to its mirror. Pulling and tagging the result
// under the original name is image-pull.ts's job.

/** Registry host (as in the reference, `docker.io`, `ghcr.io`, `host:5000`) → mirror host. */
export type RegistryMirrors = ReadonlyMap<string, string>;

const HOST =
  /^(?:localhost|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]{1,5})?$/;

/** Thrown when REXEC_REGISTRY_MIRRORS is malformed; the message says which entry and why. */
export class RegistryMirrorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryMirrorsError';
  }
}

export function parseRegistryMirrors(text: string): RegistryMirrors {
  const mirrors = new Map<string, string>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [registry, mirror, ...rest] = entry.split('=').map((part) => part.trim());
    if (registry === undefined || mirror === undefined || rest.length > 0) {
      throw new RegistryMirrorsError(`"${entry}" must be registry=mirror`);
    }
    for (const host of [registry, mirror]) {
      if (!HOST.test(host)) throw new RegistryMirrorsError(`"${host}" is not a registry host`);
    }
    if (mirrors.has(registry)) throw new RegistryMirrorsError(`${registry} is listed twice`);
    mirrors.set(registry, mirror);
  }
  return mirrors;
}

/** The registry a reference names; Docker Hub when the first component is not a host. */
function splitRegistry(reference: string): { registry: string; path: string } {
  const slash = reference.indexOf('/');
  const first = slash === -1 ? '' : reference.slice(0, slash);
  if (first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    return { registry: first, path: reference.slice(slash + 1) };
  }
  // Docker Hub's short forms: `debian:bookworm` is library/debian, `user/app` is itself.
  return { registry: 'docker.io', path: slash === -1 ? `library/${reference}` : reference };
}

/** The reference to pull instead of `reference`, or null when its registry has no mirror. */
export function mirrorReference(reference: string, mirrors: RegistryMirrors): string | null {
  const { registry, path } = splitRegistry(reference);
  const mirror = mirrors.get(registry);
  return mirror === undefined ? null : `${mirror}/${path}`;
}
