// The response serializer: every answer is still checked against its route's zod schema (a row that
// does not fit the contract is a 500, never a malformed body), then JSON.stringify'd. It differs
// from fastify-type-provider-zod's only in speed: for schemas with no codecs, transforms, defaults
// or catches, encoding and parsing give the same output, and zod's parse is several times faster
// than its encode; any other schema keeps the library's encode path. Route schemas are the routes'.
import type { FastifySerializerCompiler } from 'fastify';
import { ResponseSerializationError, serializerCompiler } from 'fastify-type-provider-zod';
import { $ZodType, safeParse, type $ZodTypeDef } from 'zod/v4/core';

type ResponseSchema = $ZodType | { properties: $ZodType };

/** Kinds whose parse and encode are the same check with the same output. */
const LEAVES = new Set<$ZodTypeDef['type']>([
  'string',
  'number',
  'int',
  'boolean',
  'bigint',
  'null',
  'undefined',
  'void',
  'never',
  'any',
  'unknown',
  'date',
  'nan',
  'enum',
  'literal',
  'template_literal',
]);

/** True when parsing `schema` returns what encoding it would (no direction-dependent parts). */
export function isDirectionless(schema: $ZodType, seen = new Set<$ZodType>()): boolean {
  if (seen.has(schema)) return true;
  seen.add(schema);
  const def = schema._zod.def as $ZodTypeDef & Record<string, unknown>;
  const child = (value: unknown): boolean =>
    value === undefined || (value instanceof $ZodType && isDirectionless(value, seen));
  switch (def.type) {
    case 'object':
      return (
        Object.values(def['shape'] as Record<string, unknown>).every(child) &&
        child(def['catchall'])
      );
    case 'array':
      return child(def['element']);
    case 'optional':
    case 'nullable':
    case 'nonoptional':
    case 'readonly':
      return child(def['innerType']);
    case 'union':
      return (def['options'] as unknown[]).every(child);
    case 'intersection':
      return child(def['left']) && child(def['right']);
    case 'record':
      return child(def['keyType']) && child(def['valueType']);
    case 'tuple':
      return (def['items'] as unknown[]).every(child) && child(def['rest'] ?? undefined);
    default:
      return LEAVES.has(def.type);
  }
}

export const responseSerializerCompiler: FastifySerializerCompiler<ResponseSchema> = (route) => {
  const { schema: maybeSchema, method, url } = route;
  const schema = maybeSchema instanceof $ZodType ? maybeSchema : maybeSchema.properties;
  if (!(schema instanceof $ZodType) || !isDirectionless(schema)) return serializerCompiler(route);
  return (data) => {
    const result = safeParse(schema, data);
    if (result.error) throw new ResponseSerializationError(method, url, { cause: result.error });
    return JSON.stringify(result.data);
  };
};
