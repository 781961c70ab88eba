import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { createBackupAccountApp } from '../../../apps/backup-account/app';
import { createPostgresServiceApp } from '../../../apps/postgres-service/app';
import { createReferenceApp } from '../../../apps/reference/app';
import type { BackupAccountStack } from '../../stacks/backup-account-stack';
import { protectionReport } from '../../report/protection-report';
import { cdkJsonContext } from '../cdk-json';
import { renderReport, writeJsonReport } from './report';

const REFERENCE_APP_DIR = resolve(__dirname, '../../../apps/reference');
const BACKUP_ACCOUNT_APP_DIR = resolve(__dirname, '../../../apps/backup-account');
const POSTGRES_APP_DIR = resolve(__dirname, '../../../apps/postgres-service');

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

/** Synthesizes the backup account app offline, with its cdk.context.example.json, and describes what it deploys. */
export function synthBackupAccountApp(outdir: string): { directory: string; summary: string } {
  const example = JSON.parse(readFileSync(join(BACKUP_ACCOUNT_APP_DIR, 'cdk.context.example.json'), 'utf8')) as Record<string, unknown>;
  const app = createBackupAccountApp({ context: { ...cdkJsonContext(BACKUP_ACCOUNT_APP_DIR), ...example }, outdir });
  const directory = app.synth().directory;
  const { config } = app.node.findChild('BackupAccountStack') as BackupAccountStack;
  const summary = [
    `Backup account app synthesized to ${directory}: account ${config.backupAccountId}, ${config.backupRegion}`,
    `  vaults ${config.vaultNames.general} (key ${config.keyAliases.general}) and ${config.vaultNames.sensitive} (key ${config.keyAliases.sensitive}, break-glass DENY)`,
    `  copies accepted from ${config.sourceAccountIds.join(', ')} in organization ${config.organizationId}`,
  ].join('\n');
  return { directory, summary };
}

export function referenceCommand(): Command {
  return new Command('reference')
    .description('Synthesize the bundled reference apps offline (example context, no AWS account or credentials) and print the protection report')
    .option('-o, --outdir <dir>', 'where to write the cloud assembly', 'cdk.out')
    .action((options: { outdir: string }) => {
      const assembly = synthReferenceApp(options.outdir);
      const report = protectionReport(assembly);
      process.stdout.write(`Reference app synthesized to ${assembly}\n\n${renderReport(report, 'table')}\n`);
      const jsonFile = join(options.outdir, 'protection-report.json');
      writeJsonReport(report, jsonFile);
      process.stdout.write(`Report written to ${jsonFile}\n`);
      const postgres = synthPostgresServiceApp(join(options.outdir, 'postgres-service'));
      const postgresReport = protectionReport(postgres);
      process.stdout.write(`\nPostgreSQL service app synthesized to ${postgres}\n\n${renderReport(postgresReport, 'table')}\n`);
      writeJsonReport(postgresReport, join(options.outdir, 'postgres-service', 'protection-report.json'));
      process.stdout.write(`\n${synthBackupAccountApp(join(options.outdir, 'backup-account')).summary}\n`);
    });
}
