// Validates a ContainerSpec before any engine sees it: ids safe for engine names, limits the
// engines accept, env names the engines do not mangle. Turning the spec into argv is
// run-args.ts's job; this file only says whether the spec is acceptable and why not.
import { z } from 'zod';
import { RuntimeError } from './errors.js';
import { REXEC_ID_PATTERN } from './labels.js';
import type { ContainerSpec } from './types.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Minimums are the engines' own: a CFS quota under 1 ms (10 millicores) and memory under 6 MB
// are refused by docker, so they are refused here with a clearer message.
const ContainerSpecSchema = z.object({
  containerId: z
    .string()
    .regex(REXEC_ID_PATTERN, 'must be 1-56 of [a-zA-Z0-9_.-], alphanumeric first'),
  userId: z.string().min(1).max(128),
  image: z
    .string()
    .min(1)
    .max(512)
    .refine((value) => !value.startsWith('-') && !/\s/.test(value), 'must be an OCI reference'),
  imagePull: z.enum(['always', 'missing']).optional(),
  cpuMillicores: z.number().int().min(10).max(1_024_000),
  memoryMb: z.number().int().min(6).max(16_777_216),
  pidsLimit: z.number().int().min(1).max(4_194_304),
  env: z
    .record(z.string().regex(ENV_NAME, 'env names must match [A-Za-z_][A-Za-z0-9_]*'), z.string())
    .optional(),
  command: z.array(z.string()).min(1).optional(),
  homeDir: z
    .string()
    .regex(/^\/[^:,\s]*$/, 'must be an absolute path without ":" "," or spaces')
    .optional(),
  diskMb: z.number().int().min(1).max(1_073_741_824).optional(),
  // The protocol's own bounds (RESOURCE_BOUNDS), so every limit the control plane sends is taken.
  networkMbps: z.number().int().min(1).max(1_000_000).optional(),
  network: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, 'must be an engine network name')
    .optional(),
});

type OptionalSpecFields = 'command' | 'diskMb' | 'networkMbps' | 'network' | 'imagePull';

export type ValidContainerSpec = Required<Omit<ContainerSpec, OptionalSpecFields>> &
  Pick<ContainerSpec, OptionalSpecFields>;

/** Returns the spec with defaults applied, or throws RuntimeError `invalid_spec` naming each bad field. */
export function validateContainerSpec(spec: ContainerSpec): ValidContainerSpec {
  const parsed = ContainerSpecSchema.safeParse(spec);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || 'spec'}: ${issue.message}`)
      .join('; ');
    throw new RuntimeError(`invalid container spec: ${issues}`, {
      code: 'invalid_spec',
      cause: parsed.error,
    });
  }
  const value = parsed.data;
  return {
    containerId: value.containerId,
    userId: value.userId,
    image: value.image,
    ...(value.imagePull === undefined ? {} : { imagePull: value.imagePull }),
    cpuMillicores: value.cpuMillicores,
    memoryMb: value.memoryMb,
    pidsLimit: value.pidsLimit,
    env: value.env ?? {},
    homeDir: value.homeDir ?? '/root',
    ...(value.command === undefined ? {} : { command: value.command }),
    ...(value.diskMb === undefined ? {} : { diskMb: value.diskMb }),
    ...(value.networkMbps === undefined ? {} : { networkMbps: value.networkMbps }),
    ...(value.network === undefined ? {} : { network: value.network }),
  };
}

/** Validates an id passed to start/stop/remove/inspect. */
export function validateContainerId(containerId: string): string {
  if (!REXEC_ID_PATTERN.test(containerId)) {
    throw new RuntimeError(`invalid container id "${containerId}"`, { code: 'invalid_spec' });
  }
  return containerId;
}
