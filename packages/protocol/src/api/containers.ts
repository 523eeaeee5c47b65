// Container REST bodies (DESIGN §3): the create request, the container object and the list page.
// Quota and defaults (tier maxima, generated names) are the control plane's; here only shapes.
import { z } from 'zod';
import { ImageName, RoleName } from './catalog.js';
import {
  ContainerId,
  ContainerName,
  ContainerNetwork,
  HostId,
  Resources,
  ResourcesRequest,
  Timestamp,
} from './common.js';

const DOMAIN = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?`;
const COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const TAG = String.raw`[\w][\w.-]{0,127}`;
const DIGEST = String.raw`[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`;

/** The OCI reference grammar (distribution/reference), without normalisation. */
export const OCI_REFERENCE_PATTERN = new RegExp(
  `^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`,
);

export const OciReference = z
  .string()
  .min(1)
  .max(255)
  .regex(
    OCI_REFERENCE_PATTERN,
    'must be an OCI image reference such as registry.example/team/app:1.2',
  );
export type OciReference = z.infer<typeof OciReference>;

/** Strict: an unknown field is a 400, so a typo never silently means "default". */
export const ContainerCreateRequest = z
  .strictObject({
    name: ContainerName.optional(),
    image: ImageName,
    custom_image: OciReference.optional(),
    role: RoleName.optional(),
    resources: ResourcesRequest.optional(),
    /** Within the tier: a tier whose egress is `none` refuses `internet`. */
    network: ContainerNetwork.strict().optional(),
  })
  .check((ctx) => {
    const { image, custom_image } = ctx.value;
    if (image === 'custom' && custom_image === undefined) {
      ctx.issues.push({
        code: 'custom',
        path: ['custom_image'],
        message: 'custom_image is required when image is "custom"',
        input: ctx.value,
      });
    }
    if (image !== 'custom' && custom_image !== undefined) {
      ctx.issues.push({
        code: 'custom',
        path: ['custom_image'],
        message: 'custom_image is only allowed when image is "custom"',
        input: ctx.value,
      });
    }
  });
export type ContainerCreateRequest = z.infer<typeof ContainerCreateRequest>;

/**
 * The seed's lifecycle (`creating`, `running`, `stopped`, `error`) plus `deleting`: a container
 * whose DELETE waits for its unreachable host shows as `deleting` until the host reconnects.
 */
export const CONTAINER_STATUSES = ['creating', 'running', 'stopped', 'error', 'deleting'] as const;
export const ContainerStatus = z.enum(CONTAINER_STATUSES);
export type ContainerStatus = z.infer<typeof ContainerStatus>;

export const Container = z.object({
  id: ContainerId,
  name: ContainerName,
  image: ImageName,
  custom_image: OciReference.optional(),
  role: RoleName,
  status: ContainerStatus,
  /** Why it is `error` or why it stopped: `user`, `session_expired`, `host_lost`, … */
  status_reason: z.string().max(64).optional(),
  host_id: HostId.optional(),
  resources: Resources,
  /** Optional only because it was added within v1: this server always sends it. */
  network: ContainerNetwork.optional(),
  created_at: Timestamp,
  started_at: Timestamp.optional(),
  stopped_at: Timestamp.optional(),
  session_expires_at: Timestamp.optional(),
  /**
   * When it will be stopped as `idle` unless something happens in it first: its last activity
   * plus its tier's idle_stop_minutes. Null when the tier never stops idle containers or it is not
   * running. Optional only because it was added within v1: this server always sends it.
   */
  idle_stop_at: Timestamp.nullable().optional(),
  /** Measured by the host's agent; absent until the first measurement. */
  usage: z.object({ disk_mb: z.int().nonnegative(), measured_at: Timestamp }).optional(),
});
export type Container = z.infer<typeof Container>;

/** 202 answer of a DELETE whose host is unreachable: removal finishes when it reconnects. */
export const ContainerDeleting = z.object({ id: ContainerId, status: z.literal('deleting') });
export type ContainerDeleting = z.infer<typeof ContainerDeleting>;

export const CONTAINER_PAGE_DEFAULT = 50;
export const CONTAINER_PAGE_MAX = 100;

/** `GET /containers` query: optional status filter and cursor pagination; other keys are ignored. */
export const ContainerListQuery = z.object({
  status: ContainerStatus.optional(),
  limit: z.coerce.number().int().min(1).max(CONTAINER_PAGE_MAX).default(CONTAINER_PAGE_DEFAULT),
  cursor: z.string().min(1).max(512).optional(),
});
export type ContainerListQuery = z.infer<typeof ContainerListQuery>;

/**
 * One page of the caller's containers. `count` is how many non-deleted containers the caller has
 * in total (all statuses, all pages) and `limit` is the tier's maximum number of containers, so
 * `limit - count` is the room left. `next_cursor` is present when another page follows.
 */
export const ContainerList = z.object({
  containers: z.array(Container),
  count: z.int().nonnegative(),
  limit: z.int().nonnegative(),
  next_cursor: z.string().max(512).optional(),
});
export type ContainerList = z.infer<typeof ContainerList>;
