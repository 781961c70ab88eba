import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { createPostgresServiceApp } from '../../apps/postgres-service/app';
import { cdkJsonContext } from '../../packages/retention-kit-cli/src/runtime/cdk-json';
import { checkAssembly } from '../../packages/retention-kit-cli/src/report/check';
import { protectionReport } from '../../packages/retention-kit-cli/src/report/protection-report';
import { tempDir } from '../support/apps';

const CONTEXT = { ...cdkJsonContext(join(__dirname, '../../apps/postgres-service')), 'aws:cdk:enable-path-metadata': true };

describe('the PostgreSQL service reference app', () => {
  it('passes cdk-nag AwsSolutions and NIST 800-53 rev 5, every acknowledgement with its reason', () => {
    const app = createPostgresServiceApp({ context: CONTEXT, outdir: tempDir('pg-nag') });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
    const { directory } = app.synth();
    const report = JSON.parse(readFileSync(join(directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; conclusion: string; violations: unknown[]; suppressedViolations: { ruleName: string; reason: string }[] }[];
    };
    const nag = report.pluginReports.filter((r) => ['AwsSolutions', 'NIST.800.53.R5'].includes(r.pluginName));
    expect(nag).toHaveLength(2);
    for (const plugin of nag) {
      expect(plugin.violations, plugin.pluginName).toEqual([]);
      for (const v of plugin.suppressedViolations) expect(v.reason.length, v.ruleName).toBeGreaterThan(30);
    }
  });

  it('keeps 30 days of recovery points and point-in-time restore in production, 7 in staging', () => {
    const prod = createPostgresServiceApp({ context: CONTEXT, outdir: tempDir('pg-prod') });
    const rows = protectionReport(prod.synth().directory).rows;
    expect(rows.find((r) => r.path === 'Service/Database')).toMatchObject({ category: 'postgres_data', retentionDays: 30, engineBackupRetentionDays: 30, continuousBackupDays: 30 });
    const prodTemplate = Template.fromStack(prod.node.findChild('Service') as never);
    prodTemplate.hasResourceProperties('AWS::RDS::DBCluster', { BackupRetentionPeriod: 30, DeletionProtection: true, StorageEncrypted: true, EnableIAMDatabaseAuthentication: true });

    const staging = createPostgresServiceApp({ context: { ...CONTEXT, environment: 'staging' }, outdir: tempDir('pg-staging') });
    const stagingTemplate = Template.fromStack(staging.node.findChild('Service') as never);
    stagingTemplate.hasResourceProperties('AWS::RDS::DBCluster', { BackupRetentionPeriod: 7 });
    const db = Object.values(stagingTemplate.findResources('AWS::RDS::DBCluster'))[0];
    expect(db.Properties.DeletionProtection).toBeUndefined();
    const stagingRows = protectionReport(staging.synth().directory).rows;
    expect(stagingRows.find((r) => r.path === 'Service/Database')).toMatchObject({ retentionDays: 7, engineBackupRetentionDays: 7, continuousBackupDays: 7 });
  });

  it('rotates the database credentials every 30 days and passes retention report --check', () => {
    const app = createPostgresServiceApp({ context: CONTEXT, outdir: tempDir('pg-check') });
    const directory = app.synth().directory;
    Template.fromStack(app.node.findChild('Service') as never).hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(30 days)' } });
    expect(checkAssembly(directory, protectionReport(directory))).toEqual([]);
  });
});
