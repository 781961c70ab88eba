import { afterEach, describe, expect, it, vi } from 'vitest';
import { SumDigest } from '../../../packages/retention-kit-cli/src/runtime/digest';
import { CognitoIdentityProviderClient, CreateGroupCommand } from '@aws-sdk/client-cognito-identity-provider';
import { limitToQuotas } from '../../../packages/retention-kit-cli/src/runtime/cognito/client';
import { COGNITO_DEFAULT_QUOTAS, PER_POOL_OPERATION_LIMIT, operationRate, quotaBoundSeconds, restoreQuotaBoundSeconds } from '../../../packages/retention-kit-cli/src/runtime/cognito/quotas';
import { RateLimiter } from '../../../packages/retention-kit-cli/src/runtime/rate-limiter';

describe('Cognito quotas', () => {
  it('list calls share the UserList quota; ListGroups is also capped at 5 per second per pool', () => {
    expect(operationRate('ListUsers')).toBe(COGNITO_DEFAULT_QUOTAS.UserList);
    expect(operationRate('ListUsersInGroup')).toBe(30);
    expect(operationRate('ListGroups')).toBe(5);
    expect(operationRate('AdminCreateUser', { UserCreation: 80 })).toBe(80);
    expect(() => operationRate('DeleteUserPool')).toThrow('no Cognito quota category is known for DeleteUserPool');
  });

  it('the quota-bound time is that of the busiest category', () => {
    // 16,667 ListUsers + 3,333 ListUsersInGroup share UserList (30/s); 10 ListGroups at 5/s.
    expect(quotaBoundSeconds({ ListUsers: 16_667, ListUsersInGroup: 3_333, ListGroups: 10 })).toBeCloseTo(20_000 / 30, 5);
    expect(quotaBoundSeconds({ ListGroups: 100 })).toBe(20);
  });
});

describe('RateLimiter (fake clock)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets a burst through, then spaces requests at the rate', async () => {
    vi.useFakeTimers();
    const limiter = new RateLimiter(10, 2, () => Date.now());
    const granted: number[] = [];
    const start = Date.now();
    const all = Array.from({ length: 6 }, () => limiter.acquire().then(() => granted.push(Date.now() - start)));
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(all);
    expect(granted.slice(0, 2)).toEqual([0, 0]);
    // After the burst of 2, one every 100 ms.
    expect(granted.slice(2)).toEqual([100, 200, 300, 400]);
  });

  it('charges a weighted acquire its cost, and a cost above the burst leaves the bucket in debt', async () => {
    vi.useFakeTimers();
    // 100 write units per second, burst 100: a 250-unit batch waits for a full bucket, then the
    // next 50-unit batch waits until the 150-unit debt and its own 50 units have refilled.
    const limiter = new RateLimiter(100, 100, () => Date.now());
    const granted: number[] = [];
    const start = Date.now();
    const all = [limiter.acquire(250), limiter.acquire(50), limiter.acquire(1)].map((turn) => turn.then(() => granted.push(Date.now() - start)));
    await vi.advanceTimersByTimeAsync(5_000);
    await Promise.all(all);
    expect(granted).toEqual([0, 2_000, 2_010]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RateLimiter(0)).toThrow('rate must be a positive number of requests per second, got 0');
  });
});

describe('SumDigest', () => {
  it('is independent of order and of how records are split, and sees a duplicate or a loss', () => {
    const records = ['a', 'b', 'c', 'd'];
    const whole = SumDigest.of(records).hex;
    expect(SumDigest.of([...records].reverse()).hex).toBe(whole);
    expect(SumDigest.of(['a', 'b']).merge(SumDigest.of(['c', 'd'])).hex).toBe(whole);
    expect(new SumDigest(SumDigest.of(['a', 'b']).hex, 2).merge(SumDigest.of(['d', 'c'])).hex).toBe(whole);
    expect(SumDigest.of([...records, 'a']).hex).not.toBe(whole);
    expect(SumDigest.of(records.slice(1)).hex).not.toBe(whole);
    expect(SumDigest.of(records).count).toBe(4);
  });
});

describe('restore time at the quotas', () => {
  it('adds the phases: users at UserCreation 50/s, then memberships at UserResourceUpdate 25/s', () => {
    const shape = { users: 1_000_000, memberships: 2_000_000, disabledUsers: 20_000, groups: 20 };
    const perUser = restoreQuotaBoundSeconds(shape, 'per-user');
    expect(perUser.users).toBe(20_000);
    expect(perUser.memberships).toBe(80_000);
    expect(perUser.total).toBeCloseTo(100_000 + perUser.groups, 6);
    // The import job takes user creation out of the per-call quotas; listing and memberships remain.
    const imported = restoreQuotaBoundSeconds(shape, 'import-job');
    expect(imported.users).toBeCloseTo((2 * Math.ceil(1_000_000 / 60)) / 30, 6);
    expect(imported.memberships).toBe(80_000);
  });
});

describe('limitToQuotas (fake clock; calls answered by a client middleware, no server)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** How many of `count` CreateGroup calls to one pool have answered when the clock has not moved. */
  async function answeredAtOnce(perPoolLimit: boolean, count: number): Promise<number> {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    const client = new CognitoIdentityProviderClient({ region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    client.middlewareStack.add(() => async () => ({ output: { $metadata: {} }, response: {} }), { step: 'initialize', priority: 'low', name: 'answerLocally' });
    limitToQuotas(client, { UserPoolResourceUpdate: 1_000 }, perPoolLimit);
    let answered = 0;
    const calls = Array.from({ length: count }, (_, i) => client.send(new CreateGroupCommand({ UserPoolId: 'us-east-1_pool', GroupName: `g${i}` })).then(() => (answered += 1)));
    await vi.advanceTimersByTimeAsync(0);
    const atOnce = answered;
    await vi.advanceTimersByTimeAsync(10_000);
    await Promise.all(calls);
    return atOnce;
  }

  it('holds CreateGroup to the per-pool limit of 5 per second even when the category allows more, unless that limit is lifted', async () => {
    expect(await answeredAtOnce(true, 20)).toBeLessThanOrEqual(PER_POOL_OPERATION_LIMIT);
    expect(await answeredAtOnce(false, 20)).toBe(20);
  });
});
