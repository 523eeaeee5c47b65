// Admin-only routes: users, hosts (cordon, drain, approve, trust, revoke, join tokens) and tier
// edits. A non-admin gets the server's 403 `forbidden` as a RexecError; nothing is checked
// client-side.
import {
  Host,
  HostList,
  JoinTokenCreated,
  JoinTokenList,
  Tier,
  User,
  UserCreated,
  UserList,
  type TierPatch,
  type UserCreate,
  type JoinToken,
  type UserPatch,
} from '@rexec/protocol';
import { decode } from '../http/decode.js';
import type { HttpClient } from '../http/http-client.js';
import { getTiers } from './account.js';
import { segment } from './path.js';

export class Users {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** The answer's `token` is the new user's first API token, shown only here. */
  async create(body: UserCreate): Promise<UserCreated> {
    return decode(UserCreated, await this.#http.send('POST', '/users', { body }), 'POST /users');
  }

  async list(): Promise<User[]> {
    return decode(UserList, await this.#http.send('GET', '/users'), 'GET /users').users;
  }

  async update(id: string, patch: UserPatch): Promise<User> {
    const answer = await this.#http.send('PATCH', `/users/${segment(id, 'user id')}`, {
      body: patch,
    });
    return decode(User, answer, 'PATCH /users/:id');
  }

  /** Deletes the user, its tokens and its containers (removed from their hosts). */
  async delete(id: string): Promise<void> {
    await this.#http.send('DELETE', `/users/${segment(id, 'user id')}`);
  }
}

export type HostAction = 'cordon' | 'uncordon' | 'drain' | 'revoke' | 'approve';

export class Hosts {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  async list(): Promise<Host[]> {
    return decode(HostList, await this.#http.send('GET', '/hosts'), 'GET /hosts').hosts;
  }

  async get(id: string): Promise<Host> {
    const answer = await this.#http.send('GET', `/hosts/${segment(id, 'host id')}`);
    return decode(Host, answer, 'GET /hosts/:id');
  }

  /** No new containers are placed on a cordoned host; running ones stay. */
  cordon(id: string): Promise<Host> {
    return this.#action(id, 'cordon');
  }

  uncordon(id: string): Promise<Host> {
    return this.#action(id, 'uncordon');
  }

  drain(id: string): Promise<Host> {
    return this.#action(id, 'drain');
  }

  /** Revokes the host's credential and disconnects its agent; it must join again. */
  revoke(id: string): Promise<Host> {
    return this.#action(id, 'revoke');
  }

  /**
   * Removes the host from the fleet and revokes its credential (its agent is disconnected). While
   * it is online the server refuses (409 `invalid_state`, status `online`) unless `force`. Its
   * containers become `error`/`host_removed`, or are deleted with `deleteContainers`; either way
   * they no longer count against their owners' limits.
   */
  async delete(
    id: string,
    options: { force?: boolean; deleteContainers?: boolean } = {},
  ): Promise<void> {
    await this.#http.send('DELETE', `/hosts/${segment(id, 'host id')}`, {
      query: {
        force: options.force === true ? 'true' : undefined,
        delete_containers: options.deleteContainers === true ? 'true' : undefined,
      },
    });
  }

  /** Lets a `pending` host (REXEC_HOST_APPROVAL=manual) take work; others are returned as they are. */
  approve(id: string): Promise<Host> {
    return this.#action(id, 'approve');
  }

  /** Every join token, newest first, without its secret (`active`, `used` or `expired`). */
  async listJoinTokens(): Promise<JoinToken[]> {
    const answer = await this.#http.send('GET', '/hosts/join-tokens');
    return decode(JoinTokenList, answer, 'GET /hosts/join-tokens').join_tokens;
  }

  /** Deletes a join token so it can no longer enroll a host (enrolled hosts are not affected). */
  async revokeJoinToken(id: string): Promise<void> {
    await this.#http.send('DELETE', `/hosts/join-tokens/${segment(id, 'join token id')}`);
  }

  /**
   * Lets the scheduler place containers on a host whose agent reports no network isolation
   * (`trusted` true, the default), or takes that back. Idempotent.
   */
  async trust(id: string, trusted = true): Promise<Host> {
    const answer = await this.#http.send('POST', `/hosts/${segment(id, 'host id')}/trust`, {
      body: { trusted },
    });
    return decode(Host, answer, 'POST /hosts/:id/trust');
  }

  /** A token for a new agent's `REXEC_JOIN_TOKEN`, valid for `expiresInSeconds` (default 1 h). */
  async createJoinToken(options: { expiresInSeconds?: number } = {}): Promise<JoinTokenCreated> {
    const body =
      options.expiresInSeconds === undefined
        ? {}
        : { expires_in_seconds: options.expiresInSeconds };
    const answer = await this.#http.send('POST', '/hosts/join-tokens', { body });
    return decode(JoinTokenCreated, answer, 'POST /hosts/join-tokens');
  }

  async #action(id: string, action: HostAction): Promise<Host> {
    const answer = await this.#http.send('POST', `/hosts/${segment(id, 'host id')}/${action}`);
    return decode(Host, answer, `POST /hosts/:id/${action}`);
  }
}

export class Tiers {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  list(): Promise<Tier[]> {
    return getTiers(this.#http);
  }

  /** Admin: changes a tier's limits for every user on it. */
  async update(name: string, patch: TierPatch): Promise<Tier> {
    const answer = await this.#http.send('PATCH', `/tiers/${segment(name, 'tier name')}`, {
      body: patch,
    });
    return decode(Tier, answer, 'PATCH /tiers/:name');
  }
}
