import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as docdb from 'aws-cdk-lib/aws-docdb';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as redshift from 'aws-cdk-lib/aws-redshift';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackupAccountApp } from '../../../apps/backup-account/app';
import { BackupInfrastructureStack, Retention } from 'retention-kit';
import { BACKUP_POLICY_MAX_CHARACTERS, STATEFUL_RESOURCE_TYPES, backupPolicyProblems, organizationBackupPolicy, parseRetentionPolicy } from 'retention-kit/policy';
import { checkAssembly } from '../../../packages/retention-kit-cli/src/report/check';
import { formatMarkdown } from '../../../packages/retention-kit-cli/src/report/format';
import { protectionReport } from '../../../packages/retention-kit-cli/src/report/protection-report';
import { cdkJsonContext } from '../../../packages/retention-kit-cli/src/runtime/cdk-json';
import { DOCUMENT_ARCHIVE_CONTEXT, documentArchiveApp, synthError, synthesize, tempDir } from '../../support/apps';
import { type Deployment, resolve } from '../../support/cfn';
import { ANONYMOUS, evaluate } from '../../support/iam';

type Resource = { Type: string; Properties: Record<string, any> };
const resourcesOf = (d: Deployment, stack: string, type: string): [string, Resource][] =>
  Object.entries(d.templates[stack].Resources as Record<string, Resource>).filter(([, r]) => r.Type === type);
const planNamed = (d: Deployment, stack: string, name: string) => resourcesOf(d, stack, 'AWS::Backup::BackupPlan').find(([, r]) => r.Properties.BackupPlan.BackupPlanName === name)![1].Properties.BackupPlan;

describe('the document archive app: AWS Backup newer protections from the retention policy', () => {
  let d: Deployment;
  beforeAll(() => {
    d = synthesize(documentArchiveApp());
  });

  it('copies the documents to the backup account vault and, as well, to its logically air-gapped vault', () => {
    const rule = planNamed(d, 'Archive', 'Archive-archived_documents').BackupPlanRule[0];
    expect(rule.CopyActions.map((c: { DestinationBackupVaultArn: string }) => c.DestinationBackupVaultArn)).toEqual([
      'arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault',
      'arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault-AirGapped',
    ]);
  });

  it('lets the general role copy to the air-gapped vault past the copy-target guard, and nowhere else (IAM simulator)', async () => {
    const archive = { ...d, account: '444444444444', region: 'us-east-1' };
    const [, vault] = resourcesOf(archive, 'ArchiveBackupInfrastructure', 'AWS::Backup::BackupVault').find(([, r]) => r.Properties.BackupVaultName === 'ArchiveBackupVault')!;
    const copyTo = (target: string) =>
      evaluate({
        principal: 'arn:aws:iam::444444444444:role/DocumentArchive-BackupServiceRole',
        action: 'backup:CopyFromBackupVault',
        resource: 'arn:aws:backup:us-east-1:444444444444:backup-vault:ArchiveBackupVault',
        resourceAccount: '444444444444',
        identityPolicies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }],
        resourcePolicy: resolve(archive, vault.Properties.AccessPolicy),
        context: { 'backup:CopyTargets': [target] },
      });
    expect(await copyTo('arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault-AirGapped')).toBe('Allowed');
    expect(await copyTo('arn:aws:backup:us-west-2:555555555555:backup-vault:Elsewhere')).toBe('ExplicitlyDenied');
  });

  it('scans new document recovery points with GuardDuty, incrementally, with the scanner role', () => {
    const plan = planNamed(d, 'Archive', 'Archive-archived_documents');
    expect(plan.BackupPlanRule[0].ScanActions).toEqual([{ MalwareScanner: 'GUARDDUTY', ScanMode: 'INCREMENTAL_SCAN' }]);
    expect(plan.ScanSettings).toHaveLength(1);
    expect(plan.ScanSettings[0]).toMatchObject({ MalwareScanner: 'GUARDDUTY', ResourceTypes: ['S3'] });
    const scannerRoleArn = String(resolve(d, plan.ScanSettings[0].ScannerRoleArn));
    const [, scanner] = resourcesOf(d, 'ArchiveBackupInfrastructure', 'AWS::IAM::Role').find(([id]) => id.startsWith('MalwareScanner'))!;
    expect(scannerRoleArn).toContain('MalwareScanner');
    expect(JSON.stringify(scanner.Properties.ManagedPolicyArns)).toContain('AWSBackupGuardDutyRolePolicyForScans');
    const [, general] = resourcesOf(d, 'ArchiveBackupInfrastructure', 'AWS::IAM::Role').find(([id]) => id.startsWith('GeneralBackupRole'))!;
    expect(JSON.stringify(general.Properties.ManagedPolicyArns)).toContain('AWSBackupServiceRolePolicyForScans');
  });

  it('indexes the documents for item-level search and moves them to the low-cost warm tier after 90 days', () => {
    const plan = planNamed(d, 'Archive', 'Archive-archived_documents');
    expect(plan.BackupPlanRule[0].IndexActions).toEqual([{ ResourceTypes: ['S3'] }]);
    const tiering = resourcesOf(d, 'Archive', 'AWS::Backup::TieringConfiguration');
    expect(tiering).toHaveLength(1);
    expect(tiering[0][1].Properties.ResourceSelection).toEqual([{ ResourceType: 'S3', Resources: [{ 'Fn::GetAtt': [expect.stringMatching(/^Documents/), 'Arn'] }], TieringDownSettingsInDays: 90 }]);
    expect(String(resolve(d, tiering[0][1].Properties.BackupVaultName))).toBe('ArchiveBackupVault');
  });

  it('backs the EKS cluster up straight into the local air-gapped vault, whose retention range is the category\'s', () => {
    const rule = planNamed(d, 'Archive', 'Archive-cluster_state').BackupPlanRule[0];
    const [[id, vault]] = resourcesOf(d, 'ArchiveBackupInfrastructure', 'AWS::Backup::LogicallyAirGappedBackupVault');
    expect(rule.TargetLogicallyAirGappedBackupVaultArn).toEqual({ 'Fn::ImportValue': expect.stringContaining(id) });
    expect(vault.Properties).toMatchObject({ BackupVaultName: 'ArchiveBackupVault-AirGapped', MinRetentionDays: 35, MaxRetentionDays: 35 });
    const [, selection] = resourcesOf(d, 'Archive', 'AWS::Backup::BackupSelection').find(([sid]) => sid.includes('ClusterState'))!;
    expect(selection.Properties.BackupSelection.Resources).toEqual([{ 'Fn::GetAtt': ['Cluster', 'Arn'] }]);
  });

  it('selects the other team\'s volumes by tag conditions in AND logic, never those carrying the opt-out tag, with the archive tier', () => {
    const [, selection] = resourcesOf(d, 'ArchiveBackupInfrastructure', 'AWS::Backup::BackupSelection').find(([id]) => id.includes('SharedVolumesTagSelection'))!;
    expect(selection.Properties.BackupSelection).toMatchObject({
      Resources: ['*'],
      Conditions: {
        StringEquals: [{ ConditionKey: 'aws:ResourceTag/team', ConditionValue: 'archive' }],
        StringLike: [{ ConditionKey: 'aws:ResourceTag/backup', ConditionValue: 'daily*' }],
        StringNotEquals: [{ ConditionKey: 'aws:ResourceTag/environment', ConditionValue: 'sandbox' }],
        StringNotLike: [{ ConditionKey: 'aws:ResourceTag/retention-kit:exclude', ConditionValue: '*' }],
      },
    });
    expect(selection.Properties.BackupSelection.ListOfTags).toBeUndefined();
    const rule = planNamed(d, 'ArchiveBackupInfrastructure', 'ArchiveBackupInfrastructure-shared_volumes').BackupPlanRule[0];
    expect(rule.Lifecycle).toEqual({ DeleteAfterDays: 180, MoveToColdStorageAfterDays: 60, OptInToArchiveForSupportedResources: true });
  });

  it('tags an excluded resource with its reason, which the tag selections skip', () => {
    const [, logs] = resourcesOf(d, 'Archive', 'AWS::S3::Bucket').find(([id]) => id.startsWith('AccessLogs'))!;
    expect(logs.Properties.Tags).toContainEqual({ Key: 'retention-kit:exclude', Value: 'server access logs of the documents bucket: operational records not archive data' });
  });

  it('leaves configuration_data to the organization backup policy: the catalogue is tagged, and no app plan selects it', () => {
    const [, table] = resourcesOf(d, 'Archive', 'AWS::DynamoDB::Table')[0];
    expect(table.Properties.Tags).toContainEqual({ Key: 'retention-kit:category', Value: 'configuration_data' });
    const plans = Object.keys(d.templates).flatMap((stack) => resourcesOf(d, stack, 'AWS::Backup::BackupPlan').map(([, r]) => r.Properties.BackupPlan.BackupPlanName as string));
    expect(plans.filter((name) => name.endsWith('configuration_data'))).toEqual([]);
    const [[, policy]] = resourcesOf(d, 'OrganizationBackupPolicy', 'AWS::Organizations::Policy');
    expect(policy.Properties).toMatchObject({ Type: 'BACKUP_POLICY', TargetIds: ['ou-ab12-cdef3456'], Name: 'document-archive-configuration' });
    const plan = policy.Properties.Content.plans['retention-kit-configuration_data'];
    expect(plan.selections.tags.ConfigurationData).toEqual({
      iam_role_arn: { '@@assign': 'arn:aws:iam::$account:role/DocumentArchive-BackupServiceRole' },
      tag_key: { '@@assign': 'retention-kit:category' },
      tag_value: { '@@assign': ['configuration_data'] },
    });
    expect(plan.rules.ConfigurationData.lifecycle).toEqual({ move_to_cold_storage_after_days: { '@@assign': '30' }, delete_after_days: { '@@assign': '1095' } });
    expect(plan.rules.ConfigurationData.copy_actions).toHaveProperty(['arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault']);
    expect(backupPolicyProblems(policy.Properties.Content)).toEqual([]);
  });

  it('passes cdk-nag AwsSolutions and NIST 800-53 r5 with every acknowledgement reasoned', () => {
    const app = documentArchiveApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
    const { directory } = app.synth();
    const report = JSON.parse(readFileSync(join(directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; conclusion: string; violations: unknown[]; suppressedViolations: { ruleName: string; reason: string }[] }[];
    };
    for (const pack of ['AwsSolutions', 'NIST']) {
      const nag = report.pluginReports.find((r) => r.pluginName.includes(pack))!;
      expect(nag.violations, pack).toEqual([]);
      expect(nag.conclusion, pack).toBe('success');
      for (const s of nag.suppressedViolations) expect(s.reason.length, s.ruleName).toBeGreaterThan(20);
    }
  });
});

describe('the policy names every problem of the newer settings at once', () => {
  it('refuses what the settings cannot mean, each with its key, value and the fix', () => {
    let message = '';
    try {
      parseRetentionPolicy({
        ...DOCUMENT_ARCHIVE_CONTEXT,
        destination_air_gapped_vault: { name: 'Vault-AirGapped', min_retention_days: 30, max_retention_days: 400 },
        backup_policies: {
          ssn_data: { air_gapped_copy: true, tag_selection: { string_equals: { team: 'x' } } },
          short: { retention_days: 10, air_gapped_copy: true },
          early_tier: { retention_days: 365, tiering_after_days: 30 },
          nothing_positive: { retention_days: 30, tag_selection: { string_not_equals: { team: 'x' } } },
          archive_without_cold: { retention_days: 200, archive_tier: true },
          bad_scan: { retention_days: 30, malware_scan: { mode: 'SOMETIMES' } },
          tier_late: { retention_days: 90, tiering_after_days: 120 },
          tagged_and_indexed: { retention_days: 90, index: true, tag_selection: { string_equals: { team: 'x' } } },
        },
        organization_backup_policy: { target_ids: ['ou-bad'], regions: ['us-east-1'], categories: ['ssn_data', 'nothing_positive', 'unknown_one'] },
      });
    } catch (e) {
      message = (e as Error).message;
    }
    for (const expected of [
      'backup_policies.ssn_data.air_gapped_copy = true: cannot be used by a dedicated-vault (sensitive) category',
      'cannot be used by a dedicated-vault (sensitive) category: the sensitive role may back up only the tables named in its policy',
      'backup_policies.early_tier.tiering_after_days = 30',
      'must be at least 60',
      "backup_policies.short.retention_days = 10: must lie within the air-gapped vault's retention range (30-400 days",
      'backup_policies.nothing_positive.tag_selection',
      'negative conditions alone would select every resource',
      'backup_policies.archive_without_cold.archive_tier = true: needs lifecycle.cold_storage_days',
      'backup_policies.bad_scan.malware_scan',
      'backup_policies.tier_late.tiering_after_days = 120: must be less than retention_days (90)',
      'organization_backup_policy.target_ids.0',
      'backup_policies.tagged_and_indexed.index = true: cannot be combined with tag_selection',
    ]) {
      expect(message).toContain(expected);
    }
  });

  it('keeps sensitive and tag-selected categories out of the organization policy, naming why', () => {
    expect(() =>
      parseRetentionPolicy({
        ...DOCUMENT_ARCHIVE_CONTEXT,
        organization_backup_policy: { target_ids: ['ou-ab12-cdef3456'], regions: ['us-east-1'], categories: ['ssn_data', 'shared_volumes', 'critcal_data'] },
      }),
    ).toThrow(/organization_backup_policy\.categories\.0 = "ssn_data": a dedicated-vault[\s\S]*categories\.1 = "shared_volumes": this category selects by tag_selection[\s\S]*categories\.2 = "critcal_data": unknown category \(did you mean critical_data\?\)/);
  });

  it('refuses to write a scanned category into the organization policy, and a policy past the size limit', () => {
    const policy = parseRetentionPolicy({ ...DOCUMENT_ARCHIVE_CONTEXT, organization_backup_policy: { target_ids: ['r-ab12'], regions: ['us-east-1'], categories: ['archived_documents'] } });
    expect(() => organizationBackupPolicy(policy)).toThrow(/categories\.0 = "archived_documents": uses malware_scan, index, tiering_after_days/);
    const big = { plans: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`p${i}`, { regions: { '@@assign': ['us-east-1'] }, rules: { R: { schedule_expression: { '@@assign': 'cron(0 2 * * ? *)' }, target_backup_vault_name: { '@@assign': 'Vault' } } }, selections: { tags: { S: { iam_role_arn: { '@@assign': 'arn:aws:iam::$account:role/R' }, tag_key: { '@@assign': 'k' }, tag_value: { '@@assign': ['v'.repeat(200)] } } } } }])) };
    expect(backupPolicyProblems(big).map((p) => p.message).join('\n')).toContain(`longer than the ${BACKUP_POLICY_MAX_CHARACTERS} characters`);
  });

  it('checks a backup policy against the documented syntax: values under @@assign, numbers as strings', () => {
    const problems = backupPolicyProblems({
      plans: {
        P: {
          regions: ['us-east-1'],
          rules: { R: { schedule_expression: { '@@assign': 'cron(0 2 * * ? *)' }, target_backup_vault_name: { '@@assign': 'Vault' }, lifecycle: { delete_after_days: { '@@assign': 30 } } } },
          selections: { tags: {} },
        },
      },
    }).map((p) => p.path);
    expect(problems).toEqual(expect.arrayContaining(['(policy).plans.P.regions', '(policy).plans.P.rules.R.lifecycle.delete_after_days.@@assign']));
  });
});

describe('every stateful type AWS Backup supports is classified', () => {
  const infrastructure = () => {
    const app = new App({ context: { backup_account_id: '222222222222', backup_region: 'us-west-2' }, outdir: tempDir('types') });
    const env = { account: '111111111111', region: 'us-east-1' };
    new BackupInfrastructureStack(app, 'Infra', { env, monitoring: false, compliance: false });
    return { app, data: new Stack(app, 'Data', { env }) };
  };

  it('fails synth for an unclassified EKS cluster, DocumentDB cluster and EBS volume, naming each, and not for a DocumentDB instance', () => {
    const { app, data } = infrastructure();
    new eks.CfnCluster(data, 'Cluster', { roleArn: 'arn:aws:iam::111111111111:role/eks', resourcesVpcConfig: { subnetIds: ['subnet-1'] } });
    new docdb.CfnDBCluster(data, 'Docs', { masterUsername: 'admin', storageEncrypted: true });
    new docdb.CfnDBInstance(data, 'DocsInstance', { dbClusterIdentifier: 'docs', dbInstanceClass: 'db.r6g.large' });
    new ec2.CfnVolume(data, 'Scratch', { availabilityZone: 'us-east-1a', size: 10, encrypted: true });
    const message = synthError(app);
    expect(message).toContain('EKS cluster Data/Cluster is neither protected nor excluded');
    expect(message).toContain('DocumentDB cluster Data/Docs is neither protected nor excluded');
    expect(message).toContain('EBS volume Data/Scratch is neither protected nor excluded');
    expect(message).not.toContain('DocsInstance');
  });

  it('selects each new type by its ARN, and refuses a setting the type cannot honour with the reason', () => {
    const { app, data } = infrastructure();
    Retention.of(new ec2.CfnVolume(data, 'Volume', { availabilityZone: 'us-east-1a', size: 10, encrypted: true })).protect('critical_data');
    Retention.of(new eks.CfnCluster(data, 'Cluster', { roleArn: 'arn:aws:iam::111111111111:role/eks', resourcesVpcConfig: { subnetIds: ['subnet-1'] } })).protect('critical_data');
    const message = synthError(app);
    expect(message).toContain('[Data/Cluster] category critical_data moves recovery points to cold storage after 30 days, which AWS Backup cannot do for the type EKS cluster');
    expect(message).not.toContain('Data/Volume');
  });

  it('accepts a type whose only limits the category does not touch (Redshift in a category that keeps no copy), and refuses the air-gapped target it lacks', () => {
    const app = new App({
      context: { backup_account_id: '222222222222', backup_region: 'us-west-2', backup_policies: { warehouse: { retention_days: 30, copy_to_backup_account: false }, gapped: { retention_days: 30, copy_to_backup_account: false, air_gapped_target: true } } },
      outdir: tempDir('redshift'),
    });
    const env = { account: '111111111111', region: 'us-east-1' };
    new BackupInfrastructureStack(app, 'Infra', { env, monitoring: false, compliance: false });
    const data = new Stack(app, 'Data', { env });
    const cluster = (id: string) => new redshift.CfnCluster(data, id, { clusterType: 'single-node', dbName: 'w', masterUsername: 'admin', manageMasterPassword: true, nodeType: 'ra3.large', encrypted: true });
    Retention.of(cluster('Warehouse')).protect('warehouse');
    Retention.of(cluster('Gapped')).protect('gapped');
    const message = synthError(app);
    expect(message).toContain('[Data/Gapped] category gapped backs up into a local air-gapped vault, which AWS Backup cannot do for the type Redshift cluster');
    expect(message).not.toContain('Data/Warehouse');
  });

  it('writes the ARN of every type from its attribute or its Ref', () => {
    const app = new App({ context: { backup_account_id: '222222222222', backup_region: 'us-west-2', backup_policies: { plain: { retention_days: 30, copy_to_backup_account: false } } }, outdir: tempDir('arns') });
    const env = { account: '111111111111', region: 'us-east-1' };
    new BackupInfrastructureStack(app, 'Infra', { env, monitoring: false, compliance: false });
    const data = new Stack(app, 'Data', { env });
    Retention.of(new ec2.CfnVolume(data, 'Volume', { availabilityZone: 'us-east-1a', size: 10, encrypted: true })).protect('plain');
    Retention.of(new docdb.CfnDBCluster(data, 'Docs', { masterUsername: 'admin', storageEncrypted: true })).protect('plain');
    Retention.of(new dynamodb.CfnTable(data, 'Table', { keySchema: [{ attributeName: 'pk', keyType: 'HASH' }], attributeDefinitions: [{ attributeName: 'pk', attributeType: 'S' }], billingMode: 'PAY_PER_REQUEST' })).protect('plain');
    const deployment = synthesize(app);
    const [, selection] = resourcesOf(deployment, 'Data', 'AWS::Backup::BackupSelection')[0];
    expect(selection.Properties.BackupSelection.Resources.map((arn: unknown) => String(resolve(deployment, arn)))).toEqual([
      'arn:aws:ec2:us-east-1:111111111111:volume/Volume',
      'arn:aws:rds:us-east-1:111111111111:cluster:Docs',
      expect.stringMatching(/^arn:aws:dynamodb:us-east-1:111111111111:table\//),
    ]);
    expect(JSON.stringify(resourcesOf(deployment, 'Data', 'AWS::Backup::BackupPlan')[0][1].Properties)).not.toContain('MoveToColdStorage');
  });

  it('keeps each type\'s features as data with its source, every supported type with an ARN rule', () => {
    for (const type of Object.values(STATEFUL_RESOURCE_TYPES)) {
      if (type.awsBackup) {
        expect(type.arn, type.cfnType).toBeDefined();
        expect(type.backupResourceType, type.cfnType).toBeDefined();
      } else expect(type.alternative, type.cfnType).toBeDefined();
    }
    const labels = Object.values(STATEFUL_RESOURCE_TYPES).map((t) => t.label);
    expect(labels).toEqual(expect.arrayContaining(['EKS cluster', 'DocumentDB cluster', 'Neptune cluster', 'FSx file system', 'EBS volume', 'EC2 instance', 'Redshift cluster', 'Redshift Serverless namespace', 'Timestream table', 'Aurora DSQL cluster']));
  });
});

describe('who can use the air-gapped vault and the scanner role (IAM simulator)', () => {
  const ORG = 'o-exampleorg1';
  const SOURCE = '111111111111';
  const OTHER_SOURCE = '444444444444';
  const BACKUP = '222222222222';
  const STRANGER = '555555555555';
  let accessPolicy: unknown;
  let vaultArn: string;
  let trust: unknown;
  let scannerArn: string;

  beforeAll(() => {
    const dir = join(__dirname, '../../../apps/backup-account');
    const context = { ...cdkJsonContext(dir), ...JSON.parse(readFileSync(join(dir, 'cdk.context.example.json'), 'utf8')) };
    const backup = synthesize(createBackupAccountApp({ context, outdir: tempDir('backup-lag') }));
    const backupDeployment = { ...backup, account: BACKUP, region: 'us-west-2' };
    const [[, vault]] = resourcesOf(backupDeployment, 'BackupAccountStack', 'AWS::Backup::LogicallyAirGappedBackupVault');
    accessPolicy = resolve(backupDeployment, vault.Properties.AccessPolicy);
    vaultArn = `arn:aws:backup:us-west-2:${BACKUP}:backup-vault:${vault.Properties.BackupVaultName}`;
    expect(vault.Properties.EncryptionKeyArn).toBeDefined();

    const archive = synthesize(documentArchiveApp());
    const archiveDeployment = { ...archive, account: '444444444444', region: 'us-east-1' };
    const [[id, role]] = resourcesOf(archiveDeployment, 'ArchiveBackupInfrastructure', 'AWS::IAM::Role').filter(([rid]) => rid.startsWith('MalwareScanner'));
    trust = resolve(archiveDeployment, role.Properties.AssumeRolePolicyDocument);
    scannerArn = `arn:aws:iam::444444444444:role/${id}`;
  });

  const copyIn = (principal: string, account: string, orgId: string | undefined) =>
    evaluate({
      principal,
      action: 'backup:CopyIntoBackupVault',
      resource: vaultArn,
      resourceAccount: BACKUP,
      identityPolicies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }],
      resourcePolicy: accessPolicy,
      context: { 'aws:PrincipalAccount': account, ...(orgId ? { 'aws:PrincipalOrgID': orgId } : {}) },
    });

  it.each([
    ['the reference app\'s backup role', `arn:aws:iam::${SOURCE}:role/CompactConnect-BackupServiceRole`, SOURCE, ORG, 'Allowed'],
    ['the document archive\'s backup role', `arn:aws:iam::${OTHER_SOURCE}:role/DocumentArchive-BackupServiceRole`, OTHER_SOURCE, ORG, 'Allowed'],
    ['an account of the organization that is not a source', `arn:aws:iam::${STRANGER}:role/Admin`, STRANGER, ORG, 'ExplicitlyDenied'],
    ['an account outside the organization', `arn:aws:iam::${STRANGER}:role/Admin`, STRANGER, 'o-otherorg123', 'ExplicitlyDenied'],
  ])('lets %s copy in: %s', async (_who, principal, account, org, expected) => {
    expect(await copyIn(principal, account, org)).toBe(expected);
  });

  it('refuses an anonymous caller', async () => {
    expect(await evaluate({ principal: ANONYMOUS, action: 'backup:CopyIntoBackupVault', resource: vaultArn, resourceAccount: BACKUP, resourcePolicy: accessPolicy })).not.toBe('Allowed');
  });

  it('refuses a copy out of the air-gapped vault to an account that is neither a source nor the backup account', async () => {
    const result = await evaluate({
      principal: `arn:aws:iam::${BACKUP}:role/Admin`,
      action: 'backup:CopyFromBackupVault',
      resource: vaultArn,
      resourceAccount: BACKUP,
      identityPolicies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }],
      resourcePolicy: accessPolicy,
      context: { 'backup:CopyTargets': [`arn:aws:backup:us-west-2:${STRANGER}:backup-vault:Elsewhere`], 'aws:PrincipalAccount': BACKUP },
    });
    expect(result).toBe('ExplicitlyDenied');
  });

  it('lets GuardDuty Malware Protection assume the scanner role for this account only, and no one else', async () => {
    const assume = (principal: string, sourceAccount?: string) =>
      evaluate({ principal, action: 'sts:AssumeRole', resource: scannerArn, resourceAccount: '444444444444', resourcePolicy: trust, context: sourceAccount ? { 'aws:SourceAccount': sourceAccount } : {} });
    expect(await assume('malware-protection.guardduty.amazonaws.com', '444444444444')).toBe('Allowed');
    expect(await assume('malware-protection.guardduty.amazonaws.com', STRANGER)).not.toBe('Allowed');
    expect(await assume('backup.amazonaws.com', '444444444444')).not.toBe('Allowed');
    expect(await assume(`arn:aws:iam::${STRANGER}:role/Admin`)).not.toBe('Allowed');
    expect(await assume(ANONYMOUS)).not.toBe('Allowed');
  });
});

describe('a bucket protected with the new settings on its own', () => {
  it('refuses an index over two resource types in one category', () => {
    const app = new App({
      context: { backup_account_id: '222222222222', backup_region: 'us-west-2', backup_policies: { indexed: { retention_days: 30, index: true } } },
      outdir: tempDir('index'),
    });
    const env = { account: '111111111111', region: 'us-east-1' };
    new BackupInfrastructureStack(app, 'Infra', { env, monitoring: false, compliance: false });
    const data = new Stack(app, 'Data', { env });
    Retention.of(new s3.Bucket(data, 'Bucket', { versioned: true })).protect('indexed');
    Retention.of(new ec2.CfnVolume(data, 'Volume', { availabilityZone: 'us-east-1a', size: 10, encrypted: true })).protect('indexed');
    expect(synthError(app)).toContain('AWS Backup indexes one resource type per rule, but it selects EBS and S3: put each type in its own category');
  });
});

describe('malware scan results reach the alert topic and the dashboard', () => {
  it('routes found malware and incomplete scans to the alert topic, logs every finished scan, and lists them on the dashboard', () => {
    const d = synthesize(documentArchiveApp());
    const rules = resourcesOf(d, 'ArchiveBackupInfrastructure', 'AWS::Events::Rule');
    const byId = (prefix: string) => rules.find(([id]) => id.startsWith(prefix))![1].Properties;
    const topics = resourcesOf(d, 'ArchiveBackupInfrastructure', 'AWS::SNS::Topic').map(([id]) => id);
    const alertTopic = topics.find((id) => id.startsWith('MonitoringAlerts'))!;
    for (const id of ['MonitoringMalwareFound', 'MonitoringMalwareScanIncomplete']) {
      const rule = byId(id);
      expect(rule.EventPattern['detail-type']).toEqual(['Scan Job State Change']);
      expect(rule.Targets[0].Arn).toEqual({ Ref: alertTopic });
    }
    const log = byId('MonitoringScanResultsToLog');
    expect(log.EventPattern.detail.state).toEqual(['COMPLETED', 'FAILED', 'COMPLETED_WITH_ISSUES', 'CANCELED']);
    const [[, dashboard]] = resourcesOf(d, 'ArchiveBackupInfrastructure', 'AWS::CloudWatch::Dashboard');
    expect(JSON.stringify(dashboard.Properties.DashboardBody)).toContain('Malware scans of recovery points');
  });
});

describe('the protection report and report --check of the document archive', () => {
  let directory: string;
  beforeAll(() => {
    directory = documentArchiveApp().synth().directory;
  });

  it('shows each resource\'s storage tiers and when, who selects it, its air-gapped copy or target, scan and index, and the tag selections', () => {
    const report = protectionReport(directory);
    const row = (path: string) => report.rows.find((r) => r.path === path)!;
    expect(row('Archive/Documents')).toMatchObject({
      selectedBy: 'plan',
      tiers: [{ tier: 'warm', fromDay: 0 }, { tier: 'low-cost warm', fromDay: 90 }],
      airGappedCopy: 'arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault-AirGapped',
      malwareScan: 'INCREMENTAL_SCAN',
      indexed: true,
    });
    expect(row('Archive/Catalogue')).toMatchObject({ selectedBy: 'organization-policy', tiers: [{ tier: 'warm', fromDay: 0 }, { tier: 'cold', fromDay: 30 }] });
    expect(row('Archive/Cluster')).toMatchObject({ airGappedTarget: true });
    expect(report.tagSelections).toEqual([
      { stack: 'ArchiveBackupInfrastructure', category: 'shared_volumes', selectedBy: 'plan', conditions: 'team = archive AND backup like daily* AND environment != sandbox AND retention-kit:exclude not like *' },
      { stack: 'OrganizationBackupPolicy', category: 'configuration_data', selectedBy: 'organization-policy', conditions: 'retention-kit:category = configuration_data (in ou-ab12-cdef3456)' },
    ]);
    expect(report.access.vaults).toContainEqual(
      expect.objectContaining({ vault: 'ArchiveBackupVault-AirGapped (logically air-gapped, 35-35 days)', restore: 'principals IAM allows; accounts it is shared with (AWS RAM, multi-party approval)' }),
    );
    const markdown = formatMarkdown(report);
    expect(markdown).toContain('| Archive/Documents | app plan (ARN) | warm 0-89 d, low-cost warm 90-364 d | copy to CompactConnectBackupVault-AirGapped (222222222222, us-west-2) | incremental scan | indexed |');
    expect(markdown).toContain('| Archive/Catalogue | organization policy (tag) | warm 0-29 d, cold 30-1094 d | - | - | - |');
  });

  it('passes report --check, following the organization-managed catalogue into the backup policy', () => {
    expect(checkAssembly(directory, protectionReport(directory))).toEqual([]);
  });

  it('fails report --check when no backup policy selects an organization-managed category, or an exclusion lacks the opt-out tag', () => {
    const copy = tempDir('archive-check');
    cpSync(directory, copy, { recursive: true });
    const policyFile = join(copy, 'OrganizationBackupPolicy.template.json');
    const policy = JSON.parse(readFileSync(policyFile, 'utf8'));
    policy.Resources = {};
    writeFileSync(policyFile, JSON.stringify(policy));
    const archiveFile = join(copy, 'Archive.template.json');
    const archive = JSON.parse(readFileSync(archiveFile, 'utf8'));
    const [logsId] = Object.entries(archive.Resources as Record<string, Resource>).find(([id]) => id.startsWith('AccessLogs'))!;
    archive.Resources[logsId].Properties.Tags = [];
    writeFileSync(archiveFile, JSON.stringify(archive));
    const problems = checkAssembly(copy, protectionReport(copy));
    expect(problems).toEqual([
      { path: 'Archive/AccessLogs', problem: 'excluded, but without the retention-kit:exclude tag: a tag-based selection or an organization backup policy could still back it up' },
      { path: 'Archive/Catalogue', problem: 'its category configuration_data is left to an organization backup policy, and no BACKUP_POLICY in this assembly selects the tag retention-kit:category=configuration_data' },
    ]);
  });
});
