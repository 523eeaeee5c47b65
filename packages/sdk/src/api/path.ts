// One path segment from a caller-supplied id or name. Encoded so a value can never climb out of
// its segment (`../tokens`); whether it is a valid id is the server's answer (404 or 400).

export function segment(value: string, what: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${what} must be a non-empty string`);
  }
  return encodeURIComponent(value);
}
