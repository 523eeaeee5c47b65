// Identifiers and secrets: prefixed random ids, API tokens and their SHA-256 hashes, and the
// friendly container names generated when a user gives none. Uniqueness against the database is
// left to the callers (the services), which hold the locks that make it race-free.
import { createHash, randomBytes, randomInt } from 'node:crypto';

export type IdPrefix = 'usr' | 'tok' | 'ctr' | 'hst' | 'jtk' | 'hcr' | 'whk';

const ID_HEX_LENGTH = 32;
const TOKEN_PREFIX_LENGTH = 12;
const API_TOKEN_PATTERN = /^rexec_[0-9a-f]{64}$/;

/** A new `${prefix}_` + 32 lowercase hex id (128 random bits). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(ID_HEX_LENGTH / 2).toString('hex')}`;
}

/** True when `value` has exactly the shape {@link newId} produces for `prefix`. */
export function isId(prefix: IdPrefix, value: string): boolean {
  return value.length === prefix.length + 1 + ID_HEX_LENGTH && idPattern(prefix).test(value);
}

function idPattern(prefix: IdPrefix): RegExp {
  return new RegExp(`^${prefix}_[0-9a-f]{${ID_HEX_LENGTH}}$`);
}

/** A new opaque API token: `rexec_` + 32 random bytes in hex. Shown once, stored hashed. */
export function newApiToken(): string {
  return `rexec_${randomBytes(32).toString('hex')}`;
}

/** True when `value` has the shape of an API token (it may still be unknown or revoked). */
export function isApiTokenShape(value: string): boolean {
  return API_TOKEN_PATTERN.test(value);
}

/** SHA-256 hex of a secret; the only form in which tokens and credentials are stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The first 12 characters of a token, kept so users can tell their tokens apart. */
export function tokenPrefix(token: string): string {
  return token.slice(0, TOKEN_PREFIX_LENGTH);
}

const ADJECTIVES = [
  'agile',
  'bold',
  'brave',
  'bright',
  'calm',
  'clever',
  'cosmic',
  'crisp',
  'daring',
  'eager',
  'fancy',
  'fierce',
  'gentle',
  'happy',
  'humble',
  'jolly',
  'keen',
  'lively',
  'lucky',
  'mellow',
  'mighty',
  'nimble',
  'noble',
  'proud',
  'quick',
  'quiet',
  'rapid',
  'shiny',
  'silent',
  'smart',
  'snowy',
  'sunny',
  'swift',
  'tidy',
  'vivid',
  'witty',
] as const;

const ANIMALS = [
  'badger',
  'bear',
  'beaver',
  'bison',
  'cobra',
  'crane',
  'dingo',
  'dolphin',
  'eagle',
  'falcon',
  'ferret',
  'fox',
  'gecko',
  'heron',
  'ibex',
  'jaguar',
  'koala',
  'lemur',
  'lynx',
  'marten',
  'moose',
  'otter',
  'owl',
  'panda',
  'puffin',
  'quail',
  'raven',
  'seal',
  'shark',
  'sloth',
  'tiger',
  'toucan',
  'walrus',
  'whale',
  'wolf',
  'yak',
] as const;

function pick<T>(items: readonly T[]): T {
  const item = items[randomInt(items.length)];
  if (item === undefined) throw new Error('pick() needs a non-empty list');
  return item;
}

/** A readable container name such as `swift-tiger-42` (valid under the container name rules). */
export function generateName(): string {
  return `${pick(ADJECTIVES)}-${pick(ANIMALS)}-${randomInt(10, 100)}`;
}
