// Keeps the role setup log an agent sent with a create's result (the tail the wire carries, marked
// when earlier output was dropped) on the container's row, for GET /containers/:id/logs. Whether
// the create succeeded is outcomes.ts's business; this only stores text.
import { SETUP_LOG_TRUNCATED_MARKER, type AgentCommandResult } from '@rexec/protocol';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { containers } from '../db/schema/containers.js';

export interface SetupLog {
  text: string;
  truncated: boolean;
}

/** The setup log a create's result carries, or null when there was no setup (barebone). */
export function setupLogOf(result: AgentCommandResult): SetupLog | null {
  const raw = result.ok
    ? result.container.setup?.detail
    : result.error.code === 'role_setup_failed'
      ? result.error.detail
      : undefined;
  if (raw === undefined) return null;
  const marker = `${SETUP_LOG_TRUNCATED_MARKER}\n`;
  return raw.startsWith(marker)
    ? { text: raw.slice(marker.length), truncated: true }
    : { text: raw, truncated: false };
}

/** The stored setup log of a container; empty when no setup ran (barebone, or not yet). */
export async function readSetupLog(db: Db, containerId: string): Promise<SetupLog> {
  const [row] = await db
    .select({ text: containers.setupLog, truncated: containers.setupLogTruncated })
    .from(containers)
    .where(eq(containers.id, containerId));
  return { text: row?.text ?? '', truncated: row?.truncated ?? false };
}

export async function storeSetupLog(db: Db, containerId: string, log: SetupLog): Promise<void> {
  await db
    .update(containers)
    .set({ setupLog: log.text, setupLogTruncated: log.truncated })
    .where(eq(containers.id, containerId));
}
