import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackupAccountApp } from '../../apps/backup-account/app';
import { createDocumentArchiveApp } from '../../apps/document-archive/app';
import { createPostgresServiceApp } from '../../apps/postgres-service/app';
import { createReferenceApp } from '../../apps/reference/app';
import { cdkJsonContext } from '../../packages/retention-kit-cli/src/runtime/cdk-json';
import { type CfnTemplate, type Deployment, resolve } from '../support/cfn';
import { tempDir } from '../support/apps';

/** The property that names a resource, per type: names that must be unique where the type is scoped. */
const NAME_PROPERTIES: Record<string, { property: string[]; scope: 'account' | 'region' | 'global' }> = {
  'AWS::IAM::Role': { property: ['RoleName'], scope: 'account' },
  'AWS::IAM::ManagedPolicy': { property: ['ManagedPolicyName'], scope: 'account' },
  'AWS::S3::Bucket': { property: ['BucketName'], scope: 'global' },
  'AWS::Backup::BackupVault': { property: ['BackupVaultName'], scope: 'region' },
  'AWS::Backup::LogicallyAirGappedBackupVault': { property: ['BackupVaultName'], scope: 'region' },
  'AWS::Backup::TieringConfiguration': { property: ['TieringConfigurationName'], scope: 'region' },
  'AWS::Backup::BackupPlan': { property: ['BackupPlan', 'BackupPlanName'], scope: 'region' },
  'AWS::Backup::RestoreTestingPlan': { property: ['RestoreTestingPlanName'], scope: 'region' },
  'AWS::Backup::ReportPlan': { property: ['ReportPlanName'], scope: 'region' },
  'AWS::Backup::Framework': { property: ['FrameworkName'], scope: 'region' },
  'AWS::KMS::Alias': { property: ['AliasName'], scope: 'region' },
  'AWS::SNS::Topic': { property: ['TopicName'], scope: 'region' },
  'AWS::DynamoDB::Table': { property: ['TableName'], scope: 'region' },
  'AWS::Lambda::Function': { property: ['FunctionName'], scope: 'region' },
  'AWS::StepFunctions::StateMachine': { property: ['StateMachineName'], scope: 'region' },
  'AWS::CloudWatch::Dashboard': { property: ['DashboardName'], scope: 'region' },
  'AWS::CloudWatch::Alarm': { property: ['AlarmName'], scope: 'region' },
  'AWS::Logs::LogGroup': { property: ['LogGroupName'], scope: 'region' },
  'AWS::CloudTrail::Trail': { property: ['TrailName'], scope: 'region' },
  'AWS::Events::Rule': { property: ['Name'], scope: 'region' },
  'AWS::SecretsManager::Secret': { property: ['Name'], scope: 'region' },
};

interface SynthesizedStack {
  app: string;
  stack: string;
  account: string;
  region: string;
  template: CfnTemplate;
}

function stacksOf(name: string, app: App): SynthesizedStack[] {
  const assembly = app.synth();
  return assembly.stacks.map((s) => ({
    app: name,
    stack: s.stackName,
    account: s.environment.account,
    region: s.environment.region,
    template: JSON.parse(readFileSync(join(assembly.directory, s.templateFile), 'utf8')) as CfnTemplate,
  }));
}

const at = (value: unknown, path: string[]) => path.reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value);

describe('the example apps deploy side by side', () => {
  let stacks: SynthesizedStack[];
  let backupAccountVaults: string[];

  beforeAll(() => {
    const backupContext = JSON.parse(readFileSync(join(__dirname, '../../apps/backup-account/cdk.context.example.json'), 'utf8'));
    stacks = [
      ...stacksOf('reference', createReferenceApp({ context: cdkJsonContext(join(__dirname, '../../apps/reference')), outdir: tempDir('examples-reference') })),
      ...stacksOf('postgres-service', createPostgresServiceApp({ context: cdkJsonContext(join(__dirname, '../../apps/postgres-service')), outdir: tempDir('examples-postgres') })),
      ...stacksOf('document-archive', createDocumentArchiveApp({ context: cdkJsonContext(join(__dirname, '../../apps/document-archive')), outdir: tempDir('examples-archive') })),
      ...stacksOf('backup-account', createBackupAccountApp({ context: backupContext, outdir: tempDir('examples-backup') })),
    ];
    backupAccountVaults = stacks
      .filter((s) => s.app === 'backup-account')
      .flatMap((s) =>
        Object.values(s.template.Resources)
          .filter((r) => r.Type === 'AWS::Backup::BackupVault' || r.Type === 'AWS::Backup::LogicallyAirGappedBackupVault')
          .map((r) => `arn:aws:backup:${s.region}:${s.account}:backup-vault:${r.Properties!.BackupVaultName as string}`),
      );
  });

  it('copies, in every environment app, only to vaults the backup account app creates', () => {
    expect(backupAccountVaults).toHaveLength(3);
    const destinations = stacks.flatMap((s) => {
      const d: Deployment = { account: s.account, region: s.region, templates: { [s.stack]: s.template } };
      return Object.values(s.template.Resources)
        .filter((r) => r.Type === 'AWS::Backup::BackupPlan')
        .flatMap((r) => ((r.Properties!.BackupPlan as { BackupPlanRule: { CopyActions?: { DestinationBackupVaultArn: unknown }[] }[] }).BackupPlanRule ?? []))
        .flatMap((rule) => rule.CopyActions ?? [])
        .map((copy) => ({ app: s.app, destination: String(resolve(d, copy.DestinationBackupVaultArn)) }));
    });
    expect(new Set(destinations.map((d) => d.app))).toEqual(new Set(['reference', 'postgres-service', 'document-archive']));
    expect(destinations.filter((d) => !backupAccountVaults.includes(d.destination))).toEqual([]);
  });

  it('admits, in the backup account, the backup roles of every environment app that copies there', () => {
    const backup = stacks.find((s) => s.app === 'backup-account')!;
    const keyPolicies = JSON.stringify(Object.values(backup.template.Resources).filter((r) => r.Type === 'AWS::KMS::Key').map((r) => r.Properties!.KeyPolicy));
    const roles = stacks
      .filter((s) => s.app !== 'backup-account')
      .flatMap((s) => Object.values(s.template.Resources).filter((r) => r.Type === 'AWS::IAM::Role' && /Backup/.test(String(r.Properties!.RoleName ?? ''))))
      .map((r) => String(r.Properties!.RoleName));
    expect(roles.length).toBeGreaterThanOrEqual(4);
    for (const role of roles) expect(keyPolicies, role).toContain(`:role/${role}`);
  });

  it('creates no named resource twice where names must be unique (IAM roles per account, vaults and the rest per Region)', () => {
    const owners = new Map<string, string[]>();
    for (const s of stacks) {
      const d: Deployment = { account: s.account, region: s.region, templates: { [s.stack]: s.template } };
      for (const [id, resource] of Object.entries(s.template.Resources)) {
        const naming = NAME_PROPERTIES[resource.Type];
        const name = naming && at(resource.Properties, naming.property);
        if (name === undefined) continue;
        const where = naming.scope === 'global' ? 'global' : naming.scope === 'account' ? s.account : `${s.account}/${s.region}`;
        const key = `${resource.Type} ${String(resolve(d, name))} in ${where}`;
        owners.set(key, [...(owners.get(key) ?? []), `${s.app}:${s.stack}/${id}`]);
      }
    }
    const collisions = [...owners.entries()].filter(([, by]) => by.length > 1).map(([key, by]) => `${key}: ${by.join(', ')}`);
    expect(collisions).toEqual([]);
    // The check sees the names that matter: both apps' roles and vaults in account 111111111111 (the reference app's two recovery vaults among them).
    expect([...owners.keys()].filter((k) => k.startsWith('AWS::Backup::BackupVault') && k.includes('111111111111/us-east-1'))).toHaveLength(6);
  });
});
