// Parses the resource flags of `rexec create`: CPU as cores (`0.5`, `2`) or millicores (`500m`),
// memory and disk as megabytes (`512`, `512M`) or with a G/T suffix (`2G`). Bad values are usage
// errors that show what is accepted.
import { UsageError } from './exit-codes.js';

export function parseCpu(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(value.trim());
  if (match === null) {
    throw new UsageError(`${flag} must be cores (0.5, 2) or millicores (500m), got "${value}"`);
  }
  const amount = Number(match[1]);
  const millicores = match[2] === 'm' ? amount : amount * 1000;
  if (!Number.isInteger(millicores) || millicores <= 0) {
    throw new UsageError(`${flag} must be a positive whole number of millicores, got "${value}"`);
  }
  return millicores;
}

const MB_PER: Record<string, number> = {
  '': 1,
  m: 1,
  mb: 1,
  g: 1024,
  gb: 1024,
  t: 1024 * 1024,
  tb: 1024 * 1024,
};

export function parseMegabytes(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = match?.[2]?.toLowerCase() ?? '';
  const factor = MB_PER[unit];
  if (match === null || factor === undefined) {
    throw new UsageError(`${flag} must be megabytes (512, 512M) or gigabytes (2G), got "${value}"`);
  }
  const megabytes = Number(match[1]) * factor;
  if (!Number.isInteger(megabytes) || megabytes <= 0) {
    throw new UsageError(
      `${flag} must come to a positive whole number of megabytes, got "${value}"`,
    );
  }
  return megabytes;
}
