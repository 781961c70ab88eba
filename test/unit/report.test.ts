import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../packages/retention-kit-cli/src/cli/main';
import { formatMarkdown, formatTable } from '../../packages/retention-kit-cli/src/report/format';
import { type ProtectionReport, protectionReport } from '../../packages/retention-kit-cli/src/report/protection-report';
import { referenceApp, tempDir } from '../support/apps';

const ROOT = join(__dirname, '../..');
const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'packages/retention-kit-cli/src/cli/main.ts'), ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

describe('protection report', () => {
  let report: ProtectionReport;
  let assembly: string;

  beforeAll(() => {
    assembly = referenceApp().synth().directory;
    report = protectionReport(assembly);
  });

  it('lists every stateful resource of the reference app with its category or reason', () => {
    expect(report.summary).toEqual({ protected: 11, exported: 2, excluded: 5, unprotected: 0 });
    const byPath = Object.fromEntries(report.rows.map((r) => [r.path, r]));
    expect(byPath['Persistent/SSNTable']).toMatchObject({
      status: 'protected',
      category: 'ssn_data',
      schedule: 'cron(0 2 * * ? *)',
      rpoHours: 24,
      retentionDays: 2555,
      coldStorageAfterDays: 30,
      localVault: 'CompactConnectBackupVault-SSN',
      copyDestination: 'arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault-SSN',
    });
    expect(byPath['Persistent/ProviderUsersBucket']).toMatchObject({ status: 'protected', category: 'document_storage', retentionDays: 90 });
    expect(byPath['Persistent/ProviderUsersBucket'].coldStorageAfterDays).toBeUndefined();
    expect(byPath['Persistent/TransactionReportsBucket']).toMatchObject({ status: 'excluded', reason: 'derived reports, regenerated from the transaction history table' });
    expect(byPath['Persistent/StaffUsers']).toMatchObject({ status: 'exported', category: 'export_data', resourceType: 'Cognito user pool', exportBucket: 'Persistent/UserPoolExport/Bucket' });
    expect(byPath['Persistent/UserPoolExport/Bucket']).toMatchObject({ status: 'protected', category: 'export_data', retentionDays: 90 });
    expect(byPath['BackupInfrastructure/AuditTrail/Logs']).toMatchObject({ status: 'protected', category: 'audit_logs', retentionDays: 2555 });
    expect(byPath['BackupInfrastructure/AuditTrail/AccessLogs']).toMatchObject({ status: 'excluded' });
    expect(byPath['Persistent/LicensingDatabase']).toMatchObject({ status: 'protected', category: 'relational_data', retentionDays: 2555, engineBackupRetentionDays: 35, continuousBackupDays: 35 });
  });

  it('prints a table and Markdown with the summary', () => {
    expect(formatTable(report)).toContain('18 stateful resources: 11 protected, 2 exported (no AWS Backup support; their export bucket is protected), 5 excluded with a reason, 0 unprotected');
    const markdown = formatMarkdown(report);
    expect(markdown).toContain('| Persistent/SSNTable | DynamoDB table | protected | ssn_data | cron(0 2 * * ? *) | 24 h | 2555 d | 30 d | CompactConnectBackupVault-SSN | CompactConnectBackupVault-SSN (222222222222, us-west-2) |');
  });

  it('reports a plain CDK app that does not use the toolkit as unprotected, and --check fails on it', () => {
    const app = new App({ outdir: tempDir('plain') });
    const stack = new Stack(app, 'Plain');
    new dynamodb.Table(stack, 'Orders', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    new s3.Bucket(stack, 'Uploads');
    const dir = app.synth().directory;
    expect(protectionReport(dir).summary).toEqual({ protected: 0, exported: 0, excluded: 0, unprotected: 2 });
    const result = cli(['report', '--assembly', dir, '--check']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('2 protection gaps:');
    expect(result.stderr).toMatch(/Plain\/Orders\w*: neither protected nor excluded/);
    expect(cli(['report', '--assembly', assembly, '--check', '--format', 'json']).status).toBe(0);
  });

  it('says plainly when the folder is not a synthesized app', () => {
    const result = cli(['report', '--assembly', tempDir('empty')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/is not a synthesized CDK app \(no manifest\.json\)/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('command line', () => {
  it('has --help for every command', () => {
    const program = buildProgram();
    expect(program.helpInformation()).toContain('Usage: retention');
    expect(program.commands.map((c) => c.name()).sort()).toEqual(['break-glass', 'cognito', 'cost', 'doctor', 'hydrate', 'recover', 'replay', 'report', 'restore', 'review', 'search', 'smoke', 'status']);
    for (const command of program.commands) {
      expect(command.helpInformation()).toContain(`Usage: retention ${command.name()}`);
      for (const sub of command.commands) expect(sub.helpInformation()).toContain(`Usage: retention ${command.name()} ${sub.name()}`);
    }
    expect(program.commands.find((c) => c.name() === 'break-glass')!.commands.map((c) => c.name())).toEqual(['show', 'open', 'close']);
  });

  it('runs as the package binary', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'packages/retention-kit-cli/bin/retention.js'), '--help'], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('Usage: retention');
    expect(result.stdout).toContain('break-glass');
  });

  it('`npm start` synthesizes the reference apps offline, prints the report and writes it as JSON', () => {
    const outdir = tempDir('start');
    const result = spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'apps/synth.ts'), '--outdir', outdir], {
      encoding: 'utf8',
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_PROFILE: 'no-such-profile' },
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('18 stateful resources: 11 protected, 2 exported (no AWS Backup support; their export bucket is protected), 5 excluded with a reason, 0 unprotected');
    const json = JSON.parse(readFileSync(join(outdir, 'protection-report.json'), 'utf8')) as ProtectionReport;
    expect(json.rows).toHaveLength(18);
    expect(result.stdout).toContain('Backup account app synthesized to');
    expect(result.stdout).toContain('copies accepted from 111111111111, 444444444444 in organization o-exampleorg1');
    expect(existsSync(join(outdir, 'backup-account', 'BackupAccountStack.template.json'))).toBe(true);
  });

  it('shows a bad configuration as a list of problems, not a stack trace, through the app entry point', () => {
    const context = JSON.parse(readFileSync(join(ROOT, 'apps/reference/cdk.json'), 'utf8')).context;
    context.backup_account_id = '12345';
    context.backup_policies.critical_data = { schedule: 'cron(0 2 * * * *)' };
    const outdir = tempDir('bad');
    const result = spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'apps/reference/main.ts')], {
      encoding: 'utf8',
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')[0]).toMatch(/^The retention configuration \(CDK context\) has \d+ problems:/);
    expect(result.stderr).toContain('backup_account_id = "12345": must be a 12-digit AWS account id');
    expect(result.stderr).toContain('backup_policies.critical_data.schedule = "cron(0 2 * * * *)"');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(outdir, 'manifest.json'))).toBe(false);
  });
});
