/**
 * `npm start`: synthesizes the four example apps offline, with the example context of their
 * cdk.json (no AWS account or credentials), and prints each one's protection report.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BackupAccountStack } from 'retention-kit';
import { cdkJsonContext, formatTable, protectionReport, runApp, writeJsonReport } from 'retention-kit-cli';
import { createBackupAccountApp } from './backup-account/app';
import { createDocumentArchiveApp } from './document-archive/app';
import { createPostgresServiceApp } from './postgres-service/app';
import { createReferenceApp } from './reference/app';

const REFERENCE_APP_DIR = resolve(__dirname, 'reference');
const BACKUP_ACCOUNT_APP_DIR = resolve(__dirname, 'backup-account');
const POSTGRES_APP_DIR = resolve(__dirname, 'postgres-service');
const DOCUMENT_ARCHIVE_APP_DIR = resolve(__dirname, 'document-archive');

// Path metadata is what `cdk synth` adds by default; the report names resources by it.
const offline = (dir: string) => ({ ...cdkJsonContext(dir), 'aws:cdk:enable-path-metadata': true });

/** Synthesizes the reference app offline, with the example context in its cdk.json. */
export function synthReferenceApp(outdir: string): string {
  return createReferenceApp({ context: offline(REFERENCE_APP_DIR), outdir }).synth().directory;
}

/** Synthesizes the PostgreSQL service app offline, with the example context in its cdk.json. */
export function synthPostgresServiceApp(outdir: string): string {
  return createPostgresServiceApp({ context: offline(POSTGRES_APP_DIR), outdir }).synth().directory;
}

/** Synthesizes the document archive app (AWS Backup's newer protections) offline, with the example context in its cdk.json. */
export function synthDocumentArchiveApp(outdir: string): string {
  return createDocumentArchiveApp({ context: offline(DOCUMENT_ARCHIVE_APP_DIR), outdir }).synth().directory;
}

/** Synthesizes the backup account app offline, with its cdk.context.example.json, and describes what it deploys. */
export function synthBackupAccountApp(outdir: string): { directory: string; summary: string } {
  const example = JSON.parse(readFileSync(join(BACKUP_ACCOUNT_APP_DIR, 'cdk.context.example.json'), 'utf8')) as Record<string, unknown>;
  const app = createBackupAccountApp({ context: { ...cdkJsonContext(BACKUP_ACCOUNT_APP_DIR), ...example }, outdir });
  const directory = app.synth().directory;
  const { config } = app.node.findChild('BackupAccountStack') as BackupAccountStack;
  const summary = [
    `Backup account app synthesized to ${directory}: account ${config.backupAccountId}, ${config.backupRegion}`,
    `  vaults ${config.vaultNames.general} (key ${config.keyAliases.general}) and ${config.vaultNames.sensitive} (key ${config.keyAliases.sensitive}, break-glass DENY)`,
    `  copies accepted from ${config.sourceAccountIds.join(', ')} in organization ${config.organizationId}; into the sensitive vault from ${config.sensitiveSourceAccountIds.join(', ') || 'none'}`,
    ...config.sourceOrganizationalUnits.map((ou) => `  and from the accounts of ${ou.organizationalUnitId} (${ou.orgPathPattern}), into the general vaults`),
    ...config.standbys.map((s) => `  copies back only to the standby ${s.accountId} (${s.region}): ${s.recoveryVaultName}, and ${s.sensitiveRecoveryVaultName} under break-glass`),
    ...(config.airGappedVault
      ? [`  logically air-gapped vault ${config.airGappedVault.vaultName} (${config.airGappedVault.minRetentionDays}-${config.airGappedVault.maxRetentionDays} days, ${config.airGappedVault.encryption} key)`]
      : []),
  ].join('\n');
  return { directory, summary };
}

/** Synthesizes the four apps under `outdir` and prints what each one keeps. */
export function synthesizeReferenceApps(outdir: string): void {
  const assembly = synthReferenceApp(outdir);
  const report = protectionReport(assembly);
  process.stdout.write(`Reference app synthesized to ${assembly}\n\n${formatTable(report)}\n`);
  const jsonFile = join(outdir, 'protection-report.json');
  writeJsonReport(report, jsonFile);
  process.stdout.write(`Report written to ${jsonFile}\n`);
  const postgres = synthPostgresServiceApp(join(outdir, 'postgres-service'));
  const postgresReport = protectionReport(postgres);
  process.stdout.write(`\nPostgreSQL service app synthesized to ${postgres}\n\n${formatTable(postgresReport)}\n`);
  writeJsonReport(postgresReport, join(outdir, 'postgres-service', 'protection-report.json'));
  const archive = synthDocumentArchiveApp(join(outdir, 'document-archive'));
  const archiveReport = protectionReport(archive);
  process.stdout.write(`\nDocument archive app synthesized to ${archive}\n\n${formatTable(archiveReport)}\n`);
  writeJsonReport(archiveReport, join(outdir, 'document-archive', 'protection-report.json'));
  process.stdout.write(`\n${synthBackupAccountApp(join(outdir, 'backup-account')).summary}\n`);
}

if (require.main === module) {
  const at = process.argv.indexOf('--outdir');
  runApp(() => synthesizeReferenceApps(at > 0 ? process.argv[at + 1] : 'cdk.out'));
}
