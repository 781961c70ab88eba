import { InvalidArgumentError } from 'commander';

/** Commander parser for options that take a whole number above 0. */
export function parsePositiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError(`expected a whole number above 0, got "${value}"`);
  return number;
}
