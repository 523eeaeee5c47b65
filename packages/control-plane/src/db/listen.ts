// LISTEN on one channel with a pooled connection kept for it. A connection that fails is handed
// back to the pool as broken and `alive` turns false: the owner listens again on its next round and
// meanwhile finds by its own sweep what notifications it missed. The channel name is a constant of
// the caller's, never input.
import type pg from 'pg';
import type { Log } from '../hub/log.js';

export interface Listening {
  readonly alive: boolean;
  stop(): Promise<void>;
}

/** Resolves null when the LISTEN could not be set up (logged); the caller tries again later. */
export async function listenTo(
  pool: pg.Pool,
  channel: string,
  log: Log,
  onNotify: (payload: string) => void,
): Promise<Listening | null> {
  let connection: pg.PoolClient;
  try {
    connection = await pool.connect();
  } catch (error) {
    log.warn({ err: error, channel }, 'cannot LISTEN: no database connection; trying again later');
    return null;
  }
  // Released exactly once, whichever comes first: its error, a failed LISTEN or stop(); pg-pool
  // throws on a second. Our listeners go with it, or an error on the pooled connection later
  // (the server ending it after stop()) would be logged as this LISTEN failing. It is not left
  // unheard: pg-pool's _release puts the pool's idle 'error' listener on in the same call, and
  // open.ts gives every connection a listener of its own.
  let released = false;
  const onNotification = (message: pg.Notification) => {
    if (message.channel === channel) onNotify(message.payload ?? '');
  };
  const onError = (error: Error) => {
    log.warn({ err: error, channel }, 'the LISTEN connection failed');
    release(error);
  };
  const release = (error?: Error) => {
    if (released) return;
    released = true;
    connection.off('notification', onNotification);
    connection.off('error', onError);
    connection.release(error);
  };
  connection.on('notification', onNotification);
  connection.on('error', onError);
  try {
    await connection.query(`LISTEN ${channel}`);
  } catch (error) {
    log.warn({ err: error, channel }, 'cannot LISTEN; trying again later');
    release(error instanceof Error ? error : new Error(String(error)));
    return null;
  }
  return {
    get alive() {
      return !released;
    },
    async stop() {
      if (released) return;
      try {
        await connection.query(`UNLISTEN ${channel}`);
        release();
      } catch (error) {
        release(error instanceof Error ? error : new Error(String(error)));
      }
    },
  };
}
