import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPipelineApp } from '../../apps/pipeline/app';
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
    expect(stages).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'BackupAccount', 'Environment-test', 'Environment-beta', 'Environment-prod']);
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

  it('creates in each environment account a smoke-test role that only the pipeline account may assume', () => {
    const role = Object.values(template(stage('Environment-test'), 'Environment-test-SmokeTestAccess').Resources).find((r) => r.Type === 'AWS::IAM::Role')!;
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain(':iam::999999999999:root');
    expect(role.Properties.RoleName).toBe('retention-smoke-test');
  });
});
