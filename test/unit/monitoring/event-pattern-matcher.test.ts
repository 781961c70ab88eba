import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../support/event-pattern';

describe('event pattern matcher (test support)', () => {
  const event = { source: 'aws.backup', detail: { state: 'FAILED', vault: 'A', tags: ['x', 'y'], resources: [{ ARN: 'a' }, { ARN: 'b' }] } };

  it.each([
    [{ source: ['aws.backup'] }, true],
    [{ source: ['aws.s3'] }, false],
    [{ detail: { state: ['COMPLETED', 'FAILED'] } }, true],
    [{ detail: { state: ['COMPLETED'] } }, false],
    [{ detail: { vault: [{ 'anything-but': ['B'] }] } }, true],
    [{ detail: { vault: [{ 'anything-but': ['A'] }] } }, false],
    [{ detail: { missing: [{ 'anything-but': ['A'] }] } }, false],
    [{ detail: { vault: [{ prefix: 'A' }] } }, true],
    [{ detail: { missing: [{ exists: false }] } }, true],
    [{ detail: { vault: [{ exists: false }] } }, false],
    [{ detail: { tags: ['y'] } }, true],
    [{ detail: { nested: { deeper: ['x'] } } }, false],
    [{ detail: { vault: [{ wildcard: '*' }] } }, true],
    [{ detail: { resources: { ARN: ['b'] } } }, true],
    [{ detail: { resources: { ARN: ['c'] } } }, false],
    [{ source: [{ wildcard: 'aws.*' }] }, true],
    [{ source: [{ wildcard: '*.s3' }] }, false],
    [{ source: [{ 'anything-but': { wildcard: '*backup*' } }] }, false],
    [{ source: [{ 'anything-but': { wildcard: '*lambda*' } }] }, true],
  ])('%j matches: %s', (pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });
});
