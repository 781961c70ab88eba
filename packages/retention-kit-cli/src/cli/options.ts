import { InvalidArgumentError } from 'commander';

/** Commander parser for options that take a whole number above 0. */
export function parsePositiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError(`expected a whole number above 0, got "${value}"`);
  return number;
}

/** Commander parser for a duration: "4h", "90m", "3600s" or "3600", in seconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(h|m|s)?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`expected a duration like 4h, 90m or 3600s, got "${value}"`);
  return Number(match[1]) * (match[2] === 'h' ? 3600 : match[2] === 'm' ? 60 : 1);
}

/** Commander parser for a whole number, 0 or more. */
export function parseCount(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError(`expected a whole number, 0 or more, got "${value}"`);
  return number;
}

/** Seconds as "3h 20m 00s", rounded up. */
export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m ${String(s % 60).padStart(2, '0')}s`;
}

/** Commander parser for a number above 0 (a size, a share). */
export function parsePositiveNumber(value: string): number {
  const number = Number(value);
  if (!(number > 0)) throw new InvalidArgumentError(`expected a number above 0, got "${value}"`);
  return number;
}
