import { beforeAll, describe, expect, it } from 'vitest';
import { SENSITIVE_TABLE_SID } from 'retention-kit/policy';
import { resolve } from '../../support/cfn';
import { type ExampleStack, exampleStacks } from '../../support/example-assemblies';
import { assumeRole, evaluate } from '../../support/iam';

const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const VAULT_TYPES = ['AWS::Backup::BackupVault', 'AWS::Backup::LogicallyAirGappedBackupVault'];
const FOREIGN_VAULT = 'arn:aws:backup:us-west-2:555555555555:backup-vault:Foreign';

/** Every resource of a type across the stacks, with its stack. */
const resourcesOf = (stacks: ExampleStack[], types: string[]) =>
  stacks.flatMap((s) => Object.entries(s.template.Resources).filter(([, r]) => types.includes(r.Type)).map(([id, r]) => ({ s, id, where: `${s.app}:${s.stack}/${id}`, props: resolve(s.deployment, r.Properties ?? {}) as Record<string, any> })));

describe('every synthesized template of every example app, the pipeline included', () => {
  let stacks: ExampleStack[];

  beforeAll(() => {
    stacks = exampleStacks();
  });

  it('synthesizes the five example apps, the pipeline with its stages', () => {
    expect(new Set(stacks.map((s) => s.app))).toEqual(new Set(['reference', 'postgres-service', 'document-archive', 'backup-account', 'pipeline']));
    expect(stacks.filter((s) => s.app === 'pipeline').map((s) => s.stack)).toEqual(expect.arrayContaining(['Environment-prod-Persistent', 'BackupAccount-222222222222-BackupAccountStack', 'BackupAccount-333333333333-BackupAccountStack']));
  });

  it('guards every vault: an administrator of its account cannot copy its recovery points to a foreign vault', async () => {
    const vaults = resourcesOf(stacks, VAULT_TYPES);
    expect(vaults.length).toBeGreaterThanOrEqual(15);
    const unguarded: string[] = [];
    for (const { s, where, props } of vaults) {
      const result = await evaluate({
        principal: `arn:aws:iam::${s.account}:role/Administrator`,
        action: 'backup:CopyFromBackupVault',
        resource: `arn:aws:backup:${s.region}:${s.account}:recovery-point:3b3a1b5e-0000-4000-8000-000000000003`,
        resourceAccount: s.account,
        identityPolicies: [ALLOW_ALL],
        resourcePolicy: props.AccessPolicy,
        context: { 'backup:CopyTargets': [FOREIGN_VAULT] },
      });
      if (result !== 'ExplicitlyDenied') unguarded.push(`${where} (${result})`);
    }
    expect(unguarded).toEqual([]);
  });

  it('lets nobody but the named principals become a role a sensitive table lock exempts: an administrator of the account cannot assume any', async () => {
    const lockSids = new Set<string>(Object.values(SENSITIVE_TABLE_SID));
    const exempt = resourcesOf(stacks, ['AWS::DynamoDB::Table']).flatMap(({ s, where, props }) =>
      ((props.ResourcePolicy?.PolicyDocument?.Statement ?? []) as { Sid?: string; Condition?: { ArnNotEquals?: Record<string, string | string[]> } }[])
        .filter((statement) => lockSids.has(statement.Sid ?? ''))
        .flatMap((statement) => [statement.Condition?.ArnNotEquals?.['aws:PrincipalArn'] ?? []].flat())
        .map((arn) => ({ s, table: where, arn })),
    );
    expect(new Set(exempt.map((e) => e.table)).size).toBeGreaterThanOrEqual(4);
    const roles = resourcesOf(stacks, ['AWS::IAM::Role']);
    const notDefined = new Set<string>();
    const assumable: string[] = [];
    const checked = new Set<string>();
    for (const { s, table, arn } of exempt) {
      const role = roles.find((r) => r.s.app === s.app && r.s.account === s.account && `arn:aws:iam::${r.s.account}:role/${r.props.RoleName ?? r.id}` === arn);
      if (!role) {
        notDefined.add(arn.replace(/\d{12}/g, '<account>').replace(/(us|eu)-[a-z]+-\d/g, '<region>'));
        continue;
      }
      checked.add(`${role.where}`);
      const result = await assumeRole(`arn:aws:iam::${s.account}:role/Administrator`, arn, role.props.AssumeRolePolicyDocument);
      if (result === 'Allowed') assumable.push(`${role.where}, exempted by ${table}`);
    }
    expect(assumable).toEqual([]);
    // The recovery and app roles, and the backup roles, of the reference app and each pipeline stage.
    expect(checked.size).toBeGreaterThanOrEqual(12);
    // What the apps do not define is the CDK bootstrap's deployment role, named by the lock, trusted by CloudFormation alone.
    expect([...notDefined]).toEqual(['arn:aws:iam::<account>:role/cdk-hnb659fds-cfn-exec-role-<account>-<region>']);
  });
});
