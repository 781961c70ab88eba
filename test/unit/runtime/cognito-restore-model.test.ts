import type { UserPoolType } from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { attributesToWrite, compareGroup, comparePools, compareUser, signInName, targetIdentity, userKey } from '../../../packages/retention-kit-cli/src/runtime/cognito/restore-model';

const custom = (name: string, type = 'String') => ({ Name: `custom:${name}`, AttributeDataType: type as 'String' | 'Number' });
const pool = (extra: Partial<UserPoolType> = {}): UserPoolType => ({
  UsernameAttributes: [],
  SchemaAttributes: [{ Name: 'email', AttributeDataType: 'String' }, custom('licence_number'), custom('score', 'Number')],
  ...extra,
});

describe('comparePools: what a target pool must share with the exported one', () => {
  it('finds nothing when the target has the same sign-in settings and custom attributes (and more)', () => {
    expect(comparePools(pool(), pool({ SchemaAttributes: [...pool().SchemaAttributes!, custom('source_sub')] }))).toEqual([]);
  });

  it('names every difference at once: sign-in identifiers, aliases, case sensitivity, missing and mistyped custom attributes, newly required attributes', () => {
    const target = pool({
      UsernameAttributes: ['email'],
      AliasAttributes: ['preferred_username'],
      UsernameConfiguration: { CaseSensitive: false },
      SchemaAttributes: [{ Name: 'email', AttributeDataType: 'String', Required: true }, custom('score', 'String')],
    });
    const differences = comparePools(pool(), target);
    expect(differences.map((d) => d.setting)).toEqual([
      'UsernameAttributes',
      'AliasAttributes',
      'UsernameConfiguration.CaseSensitive',
      'custom:licence_number',
      'custom:score',
      'email',
    ]);
    expect(differences.find((d) => d.setting === 'custom:licence_number')).toMatchObject({ target: 'missing', fix: expect.stringContaining('add custom:licence_number') });
    expect(differences.find((d) => d.setting === 'custom:score')).toMatchObject({ source: 'Number', target: 'String' });
  });
});

describe('what a restored user is written with, and how it is recognised', () => {
  const record = { username: 'ana', attributes: { sub: 'old-sub', email: 'Ana@Example.org', email_verified: 'true', identities: '[]', updated_at: '1', 'custom:licence_number': 'L1' } };

  it('writes every attribute but the ones Cognito sets, and keeps the old sub where the pool has room for it', () => {
    const withRoom = targetIdentity(pool({ SchemaAttributes: [custom('source_sub')] }));
    expect(attributesToWrite(record, withRoom)).toEqual({ email: 'Ana@Example.org', email_verified: 'true', 'custom:licence_number': 'L1', 'custom:source_sub': 'old-sub' });
    expect(attributesToWrite(record, targetIdentity(pool()))).not.toHaveProperty('custom:source_sub');
    // A user restored before keeps its original sub.
    const again = { ...record, attributes: { ...record.attributes, 'custom:source_sub': 'first-sub' } };
    expect(attributesToWrite(again, withRoom)['custom:source_sub']).toBe('first-sub');
  });

  it('signs in with the username in a plain pool, with the email where the pool signs in with email', () => {
    expect(signInName(record.attributes, 'ana', targetIdentity(pool()))).toBe('ana');
    const emailPool = targetIdentity(pool({ UsernameAttributes: ['email'] }));
    expect(signInName(record.attributes, 'ana', emailPool)).toBe('Ana@Example.org');
    expect(userKey('Ana@Example.org', emailPool)).toBe('ana@example.org');
    expect(signInName({ sub: 'x' }, 'ana', emailPool)).toBeUndefined();
    const caseInsensitive = targetIdentity(pool({ UsernameConfiguration: { CaseSensitive: false } }));
    expect(userKey('Ana', caseInsensitive)).toBe('ana');
    expect(userKey('Ana', targetIdentity(pool()))).toBe('Ana');
  });

  it('compares a user already there: differing attributes are named; disabled-but-not-yet is unfinished, not different', () => {
    const expected = { email: 'a@example.org', given_name: 'Ana' };
    const same = { username: 'u', attributes: { sub: 'new', ...expected }, enabled: true };
    expect(compareUser(expected, true, same)).toEqual({ differences: [], needsDisable: false });
    expect(compareUser(expected, false, same)).toEqual({ differences: [], needsDisable: true });
    expect(compareUser(expected, true, { ...same, enabled: false }).differences).toEqual(['enabled']);
    expect(compareUser(expected, true, { ...same, attributes: { ...same.attributes, given_name: 'Anna', nickname: 'x' } }).differences).toEqual(['given_name', 'nickname']);
  });

  it('compares groups by description, precedence and role', () => {
    expect(compareGroup({ name: 'g', precedence: 1 }, { name: 'g', precedence: 1 }).differences).toEqual([]);
    expect(compareGroup({ name: 'g', precedence: 1, roleArn: 'a' }, { name: 'g', precedence: 2, description: 'd' }).differences).toEqual(['description', 'precedence', 'roleArn']);
  });
});
