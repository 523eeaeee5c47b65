// The catalogs every user may read (images, roles, tiers) and the admin's tier edit.
// Tier storage and validation of values live in the tiers service.
import {
  IMAGE_CATALOG,
  ImageList,
  ROLE_CATALOG,
  RoleList,
  Tier,
  TierList,
  TierName,
  TierPatch,
} from '@rexec/protocol';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listTiers, updateTier, type TierPatch as ServiceTierPatch } from '../../services/tiers.js';
import type { RouteDependencies } from '../route-dependencies.js';
import { toTier } from '../mappers.js';
import { ERROR_RESPONSES } from './responses.js';

function toServicePatch(patch: TierPatch): ServiceTierPatch {
  const { rate_limits: rates, default_resources: defaults, ...limits } = patch;
  return {
    ...limits,
    default_cpu_millicores: defaults?.cpu_millicores,
    default_memory_mb: defaults?.memory_mb,
    default_disk_mb: defaults?.disk_mb,
    default_network_mbps: defaults?.network_mbps,
    rate_create_per_min: rates?.create_per_minute,
    rate_ops_per_min: rates?.operations_per_minute,
    rate_list_per_min: rates?.list_per_minute,
  };
}

export function catalogRoutes({ database }: RouteDependencies): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.get(
      '/images',
      {
        config: { rateLimit: 'list' },
        schema: { response: { 200: ImageList, ...ERROR_RESPONSES } },
      },
      () => ({ images: [...IMAGE_CATALOG] }),
    );
    app.get(
      '/roles',
      {
        config: { rateLimit: 'list' },
        schema: { response: { 200: RoleList, ...ERROR_RESPONSES } },
      },
      () => ({ roles: [...ROLE_CATALOG] }),
    );
    app.get(
      '/tiers',
      {
        config: { rateLimit: 'list' },
        schema: { response: { 200: TierList, ...ERROR_RESPONSES } },
      },
      async () => ({ tiers: (await listTiers(database.db)).map(toTier) }),
    );
    app.patch(
      '/tiers/:name',
      {
        config: { access: 'admin' },
        schema: {
          params: z.object({ name: TierName }),
          body: TierPatch,
          response: { 200: Tier, ...ERROR_RESPONSES },
        },
      },
      async (request) =>
        toTier(await updateTier(database.db, request.params.name, toServicePatch(request.body))),
    );
    done();
  };
}
