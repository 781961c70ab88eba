import { CognitoIdentityProviderClient, GetProvisionedLimitCommand } from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../../packages/retention-kit-cli/src/cli/main';
import { RESTORE_OPERATIONS, categoriesOf, readAccountRates, ratesOf } from '../../../packages/retention-kit-cli/src/runtime/cognito/account-rates';
import { parseDuration } from '../../../packages/retention-kit-cli/src/cli/options';
import { planRestore } from '../../../packages/retention-kit-cli/src/runtime/cognito/restore-plan';

const cognito = mockClient(CognitoIdentityProviderClient);
afterEach(() => cognito.reset());

/** The account bought UserCreation 200/s; Cognito refuses the question for the fixed UserResourceUpdate. */
function account() {
  cognito.on(GetProvisionedLimitCommand).callsFake((input: { LimitDefinition: { Attributes: { Category: string } } }) => {
    const category = input.LimitDefinition.Attributes.Category;
    if (category === 'UserResourceUpdate') throw Object.assign(new Error('This limit is not adjustable'), { name: 'InvalidParameterException' });
    const provisioned: Record<string, number> = { UserCreation: 200, UserList: 30, UserUpdate: 25, UserRead: 120, UserPoolRead: 15, UserPoolResourceRead: 20, UserPoolResourceUpdate: 15 };
    return { Limit: { LimitDefinition: input.LimitDefinition, ProvisionedLimitValue: provisioned[category], FreeLimitValue: category === 'UserCreation' ? 50 : provisioned[category] } };
  });
}

describe("the account's Cognito rates (mocked Cognito client: cognito-local has no GetProvisionedLimit)", () => {
  it('reads each category the job uses, keeps --rate over them, and falls back to the documented default where Cognito refuses', async () => {
    account();
    const rates = await readAccountRates(new CognitoIdentityProviderClient({ region: 'us-east-1' }), categoriesOf(RESTORE_OPERATIONS), { UserList: 10 });
    const by = Object.fromEntries(rates.map((r) => [r.category, r]));
    expect(by.UserCreation).toEqual({ category: 'UserCreation', rate: 200, source: 'account', freeRate: 50 });
    expect(by.UserList).toEqual({ category: 'UserList', rate: 10, source: 'option' });
    expect(by.UserResourceUpdate).toMatchObject({ rate: 25, source: 'default', note: 'GetProvisionedLimit refused: InvalidParameterException: This limit is not adjustable' });
    expect(cognito.commandCalls(GetProvisionedLimitCommand).map((c) => c.args[0].input.LimitDefinition?.LimitClass)).toEqual(Array(7).fill('API_CATEGORY'));
    expect(ratesOf(rates)).toMatchObject({ UserCreation: 200, UserList: 10, UserResourceUpdate: 25 });
  });

  it('every category refused (no permission): every rate is the documented default, with the reason', async () => {
    cognito.on(GetProvisionedLimitCommand).rejects(Object.assign(new Error('not authorized to perform: cognito-idp:GetProvisionedLimit'), { name: 'AccessDeniedException' }));
    const rates = await readAccountRates(new CognitoIdentityProviderClient({ region: 'us-east-1' }), ['UserCreation', 'UserList']);
    expect(rates).toEqual([
      { category: 'UserCreation', rate: 50, source: 'default', note: 'GetProvisionedLimit refused: AccessDeniedException: not authorized to perform: cognito-idp:GetProvisionedLimit' },
      { category: 'UserList', rate: 30, source: 'default', note: 'GetProvisionedLimit refused: AccessDeniedException: not authorized to perform: cognito-idp:GetProvisionedLimit' },
    ]);
  });
});

describe('retention cognito plan', () => {
  // 100,000 users, 300,000 memberships in 5 groups, at the documented defaults:
  // groups 1 s (CreateGroup at the per-pool 5/s), users 2,000 s (AdminCreateUser at 50/s),
  // memberships 12,000 s (AdminAddUserToGroup at 25/s, fixed).
  const shape = { users: 100_000, memberships: 300_000, groups: 5, disabledUsers: 0 };

  it('times each phase at the rates; sign-in is possible when the users phase ends', () => {
    const plan = planRestore(shape, 'per-user', {}, parseDuration('4h'));
    expect(plan.phases.map((p) => [p.name, Math.round(p.seconds * 1000) / 1000, p.boundBy])).toEqual([
      ['groups', 1, 'UserPoolResourceUpdate'],
      ['users', 2000, 'UserCreation'],
      ['memberships', 12000, 'UserResourceUpdate'],
    ]);
    expect(plan.signInSeconds).toBe(2001);
    expect(plan.totalSeconds).toBe(14001);
    expect(plan).toMatchObject({ rtoSeconds: 14400, meetsRto: true, needed: [] });
  });

  it('names the rate to buy to meet a tighter RTO, leaving the fixed category as it is', () => {
    // 3.5 h = 12,600 s: memberships keep their 12,000 s and groups 1 s, so users must take 599 s: 100,000 / 599 = 166.9/s.
    const plan = planRestore(shape, 'per-user', {}, parseDuration('3.5h'));
    expect(plan.meetsRto).toBe(false);
    expect(plan.needed).toEqual([{ category: 'UserCreation', current: 50, needed: 167 }]);
    expect(planRestore(shape, 'per-user', { UserCreation: 167 }, 12_600).meetsRto).toBe(true);
    // The import job path lists users instead of creating them one by one (3,334 ListUsers pages at 30/s).
    expect(planRestore(shape, 'import-job', {}, 12_600).meetsRto).toBe(true);
  });

  it('says when no rate can meet the RTO: the fixed memberships alone take longer', () => {
    const plan = planRestore(shape, 'per-user', {}, parseDuration('3h'));
    expect(plan.unreachable).toEqual({ minimumSeconds: 12_001, boundBy: ['UserPoolResourceUpdate', 'UserResourceUpdate'] });
    expect(plan.needed).toEqual([]);
  });

  it("runs at the account's rates from the command line, and exits 1 only when no path meets the RTO (mocked Cognito client)", async () => {
    account();
    const run = async (args: string[]) => {
      let out = '';
      const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
      try {
        process.exitCode = undefined;
        await buildProgram().exitOverride().parseAsync(['node', 'retention', 'cognito', 'plan', '--region', 'us-east-1', '--users', '100000', '--memberships', '300000', '--groups', '5', ...args]);
      } finally {
        stdout.mockRestore();
      }
      const code = process.exitCode ?? 0;
      process.exitCode = undefined;
      return { code, out };
    };
    // At the account's 200/s the users take 500 s: 12,501 s, inside 3.5 h.
    const met = await run(['--rto', '3.5h']);
    expect(met.code).toBe(0);
    expect(met.out).toContain('UserCreation 200/s (account; free 50/s)');
    expect(met.out).toContain('UserResourceUpdate 25/s (documented default; GetProvisionedLimit refused: InvalidParameterException');
    expect(met.out).toMatch(/│ per-user\s*│.*│ 0h 08m 20s \(UserCreation\)\s*│ 3h 20m 00s \(UserResourceUpdate\)\s*│ 0h 08m 21s\s*│ 3h 28m 21s\s*│ met/);
    const missed = await run(['--rto', '3h', '--json']);
    expect(missed.code).toBe(1);
    expect(JSON.parse(missed.out).paths[0].unreachable.boundBy).toContain('UserResourceUpdate');
  });
});
