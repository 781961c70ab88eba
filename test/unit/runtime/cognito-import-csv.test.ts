import { describe, expect, it } from 'vitest';
import type { UserRecord } from '../../../packages/retention-kit-cli/src/runtime/cognito/export-format';
import { CSV_LIMITS, ImportFiles, type ImportContext, csvRow, parseCsvLine } from '../../../packages/retention-kit-cli/src/runtime/cognito/import-csv';

/** The header GetCSVHeader returns for a pool with two custom attributes (documented order, custom ones last). */
const HEADER = [
  'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website',
  'email', 'email_verified', 'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number', 'phone_number_verified',
  'address', 'updated_at', 'cognito:mfa_enabled', 'cognito:username', 'custom:licence_number', 'custom:source_sub',
];
const CONTEXT: ImportContext = { header: HEADER, mfaConfiguration: 'OFF', autoVerifiedAttributes: ['email'] };

function user(attributes: Record<string, string>, extra: Partial<UserRecord> = {}): UserRecord {
  return { username: 'ana', attributes, status: 'CONFIRMED', enabled: true, ...extra };
}
const VERIFIED = { email: 'ana@example.org', email_verified: 'true' };

function cells(line: string): Record<string, string> {
  const values = parseCsvLine(line);
  expect(values).toHaveLength(HEADER.length);
  return Object.fromEntries(HEADER.map((column, i) => [column, values[i]]));
}

describe('import CSV rows, by the documented rules of the user import file', () => {
  it('has every header column, in the header order, with the username and the MFA flag filled in', () => {
    const attributes = { ...VERIFIED, given_name: 'Zoë', family_name: '山田', 'custom:licence_number': 'LIC-1-ß' };
    const row = csvRow('ana', attributes, user(attributes), CONTEXT);
    expect(row.ok).toBe(true);
    if (!row.ok) return;
    const values = cells(row.line);
    expect(values['cognito:username']).toBe('ana');
    expect(values['cognito:mfa_enabled']).toBe('FALSE');
    expect(values.email_verified).toBe('TRUE');
    expect(values.given_name).toBe('Zoë');
    expect(values.family_name).toBe('山田');
    expect(values['custom:licence_number']).toBe('LIC-1-ß');
    // Columns the user has no value for are present and empty.
    expect(values.phone_number).toBe('');
    expect(values.address).toBe('');
  });

  it('escapes a comma in a value with a backslash, and does not quote values', () => {
    const attributes = { ...VERIFIED, name: 'Doe, Jane' };
    const row = csvRow('jane', attributes, user(attributes), CONTEXT);
    expect(row.ok && row.line).toContain('Doe\\, Jane');
    expect(row.ok && row.line).not.toContain('"');
    expect(row.ok && cells(row.line).name).toBe('Doe, Jane');
  });

  it('sets cognito:mfa_enabled from the pool: true when MFA is required, per user when optional', () => {
    const attributes = { ...VERIFIED };
    const required = csvRow('a', attributes, user(attributes), { ...CONTEXT, mfaConfiguration: 'ON' });
    expect(required.ok && cells(required.line)['cognito:mfa_enabled']).toBe('TRUE');
    const optionalWith = csvRow('a', attributes, user(attributes, { mfaOptions: [{ deliveryMedium: 'SMS', attributeName: 'phone_number' }] }), { ...CONTEXT, mfaConfiguration: 'OPTIONAL' });
    expect(optionalWith.ok && cells(optionalWith.line)['cognito:mfa_enabled']).toBe('TRUE');
    const optionalWithout = csvRow('a', attributes, user(attributes), { ...CONTEXT, mfaConfiguration: 'OPTIONAL' });
    expect(optionalWithout.ok && cells(optionalWithout.line)['cognito:mfa_enabled']).toBe('FALSE');
  });

  it.each([
    ['a username with a space', 'ana maria', VERIFIED, 'username contains white space'],
    ['a username with a tab', 'ana\tmaria', VERIFIED, 'username contains white space'],
    ['no verified email in an email-verifying pool', 'ana', { email: 'ana@example.org', email_verified: 'false' }, 'needs a verified email'],
    ['a verified flag without the email', 'ana', { email_verified: 'true' }, 'needs a verified email'],
    ['a line break', 'ana', { ...VERIFIED, address: '1 Main St\nSpringfield' }, 'address holds a line break'],
    ['a quotation mark', 'ana', { ...VERIFIED, nickname: 'the "ace"' }, 'nickname holds a quotation mark'],
    ['a backslash', 'ana', { ...VERIFIED, nickname: 'a\\b' }, 'nickname holds a backslash'],
    ['white space that an import trims', 'ana', { ...VERIFIED, nickname: ' ace' }, 'nickname starts or ends with white space'],
    ['an empty value, which an import reads as not set', 'ana', { ...VERIFIED, nickname: '' }, 'nickname is empty'],
    ['an attribute the header has no column for', 'ana', { ...VERIFIED, 'custom:jurisdiction': 'oh' }, 'no column for custom:jurisdiction'],
    ['a birthdate (kept exact by the per-user path)', 'ana', { ...VERIFIED, birthdate: '1985-02-01' }, 'birthdate is written per user'],
  ])('leaves a user with %s to the per-user path, saying why', (_case, username, attributes, reason) => {
    const row = csvRow(username, attributes, user(attributes), CONTEXT);
    expect(row.ok).toBe(false);
    expect(!row.ok && row.reason).toContain(reason);
  });

  it('needs the one auto-verified attribute a pool has; with two, either will do', () => {
    const phoneOnly = { ...CONTEXT, autoVerifiedAttributes: ['phone_number'] };
    expect(csvRow('a', VERIFIED, user(VERIFIED), phoneOnly).ok).toBe(false);
    const phone = { phone_number: '+12345550100', phone_number_verified: 'true' };
    expect(csvRow('a', phone, user(phone), phoneOnly).ok).toBe(true);
    const both = { ...CONTEXT, autoVerifiedAttributes: ['email', 'phone_number'] };
    expect(csvRow('a', phone, user(phone), both).ok).toBe(true);
    expect(csvRow('a', VERIFIED, user(VERIFIED), { ...CONTEXT, autoVerifiedAttributes: [] }).ok).toBe(false);
  });

  it('refuses a row over 16,000 characters', () => {
    const attributes = { ...VERIFIED, 'custom:licence_number': 'x'.repeat(CSV_LIMITS.rowCharacters) };
    const row = csvRow('a', attributes, user(attributes), CONTEXT);
    expect(!row.ok && row.reason).toContain('16000');
  });
});

describe('import files', () => {
  it('start with the header, end lines with LF, carry no byte order mark, and split at the row and byte limits', () => {
    const files = new ImportFiles(HEADER, { rowsPerFile: 3, bytesPerFile: 10_000 });
    for (let i = 0; i < 7; i += 1) files.add(`row-${i}`);
    const bodies = files.finish();
    expect(bodies).toHaveLength(3);
    expect(bodies.map((body) => body.toString('utf8').split('\n').filter(Boolean).length)).toEqual([4, 4, 2]);
    for (const body of bodies) {
      expect(body[0]).not.toBe(0xef);
      expect(body.toString('utf8').split('\n')[0]).toBe(HEADER.join(','));
    }
    const small = new ImportFiles(['h'], { rowsPerFile: 100, bytesPerFile: 20 });
    for (let i = 0; i < 4; i += 1) small.add('123456789');
    const byBytes = small.finish();
    expect(byBytes.every((body) => body.length <= 20)).toBe(true);
    expect(byBytes.flatMap((body) => body.toString().split('\n').slice(1).filter(Boolean))).toHaveLength(4);
  });
});
