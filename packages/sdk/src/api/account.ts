// What any user may read or manage about themselves: `GET /me`, the image, role and tier catalogs,
// and their own API tokens. Admin-only routes are in admin.ts.
import type { Token, TokenScope } from '@rexec/protocol';
import { ImageList, Me, RoleList, TierList, TokenCreated, TokenList } from '@rexec/protocol';
import { decode } from '../http/decode.js';
import type { HttpClient } from '../http/http-client.js';
import { segment } from './path.js';

export async function getMe(http: HttpClient): Promise<Me> {
  return decode(Me, await http.send('GET', '/me'), 'GET /me');
}

export async function getImages(http: HttpClient): Promise<ImageList['images']> {
  return decode(ImageList, await http.send('GET', '/images'), 'GET /images').images;
}

export async function getRoles(http: HttpClient): Promise<RoleList['roles']> {
  return decode(RoleList, await http.send('GET', '/roles'), 'GET /roles').roles;
}

export async function getTiers(http: HttpClient): Promise<TierList['tiers']> {
  return decode(TierList, await http.send('GET', '/tiers'), 'GET /tiers').tiers;
}

export class Tokens {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /**
   * The answer's `token` is the secret; it is shown only here. Omitted scopes and lifetime are
   * this client's token's own; the server refuses more than that (403 insufficient_scope, 400).
   */
  async create(
    name: string,
    options: { scopes?: TokenScope[]; expiresInDays?: number } = {},
  ): Promise<TokenCreated> {
    const body = {
      name,
      ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
      ...(options.expiresInDays === undefined ? {} : { expires_in_days: options.expiresInDays }),
    };
    const answer = await this.#http.send('POST', '/tokens', { body });
    return decode(TokenCreated, answer, 'POST /tokens');
  }

  async list(): Promise<Token[]> {
    return decode(TokenList, await this.#http.send('GET', '/tokens'), 'GET /tokens').tokens;
  }

  /** Revokes at once: the next request with that token is a 401; its terminals end. */
  async revoke(id: string): Promise<void> {
    await this.#http.send('DELETE', `/tokens/${segment(id, 'token id')}`);
  }
}
