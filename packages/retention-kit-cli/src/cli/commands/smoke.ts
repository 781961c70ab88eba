import { resolve } from 'node:path';
import { BackupClient } from '@aws-sdk/client-backup';
import Table from 'cli-table3';
import { Command } from 'commander';
import { parseRetentionPolicy } from 'retention-kit/policy';
import { awsSettings, output, withAws, withJson } from '../aws';
import { EXIT_CODES, exitWith } from '../exit-codes';
import { cdkJsonContext } from '../../runtime/cdk-json';
import { type SmokeResult, smokeTest } from '../../runtime/smoke';

export interface SmokeCommandDeps {
  backup?: (settings: { region: string; profile?: string }) => BackupClient;
  pollMs?: number;
}

export function formatSmoke(results: readonly SmokeResult[]): string {
  const minutes = (m?: number) => (m === undefined ? '-' : `${m.toFixed(1)} min`);
  const table = new Table({ head: ['Category', 'Resource', 'Backup', 'Copy', 'Total', 'RPO', 'Result'], style: { head: [], border: [] }, wordWrap: true, wrapOnWordBoundary: false, colWidths: [20, 44, 11, 11, 11, 7, 40] });
  for (const r of results) table.push([r.category, r.resourceArn, minutes(r.backupMinutes), minutes(r.copyMinutes), minutes(r.totalMinutes), `${r.rpoHours} h`, r.skipped ?? (r.ok ? 'ok' : (r.problem ?? 'failed'))]);
  const failed = results.filter((r) => !r.ok).length;
  return `${table.toString()}\n${results.length} categories tested, ${failed} failed`;
}

export function smokeCommand(deps: SmokeCommandDeps = {}): Command {
  const command = new Command('smoke').description('Post-deploy smoke test: an on-demand backup of one resource per category, and its copy to the backup account, waited for and timed against the RPO; exit 1 on any failure');
  return withJson(withAws(command, 'the environment Region'))
    .option('--app <dir>', 'folder of the CDK app whose cdk.json holds the retention policy', '.')
    .option('--environment <name>', 'the entry of backup_environments to use (default: the context\'s environment)')
    .option('--category <name...>', 'only these categories')
    .option('--timeout-minutes <n>', 'give up on a job after this long', '180')
    .action(async (options: { app: string; environment?: string; category?: string[]; timeoutMinutes: string; region?: string; profile?: string; json?: boolean }) => {
      const context = cdkJsonContext(resolve(options.app));
      const policy = parseRetentionPolicy(options.environment ? { ...context, environment: options.environment } : context);
      const settings = await awsSettings(options);
      const interactive = process.stderr.isTTY === true && !options.json;
      const results = await smokeTest((deps.backup ?? ((s) => new BackupClient(s)))(settings), policy, {
        categories: options.category,
        timeoutMinutes: Number(options.timeoutMinutes),
        pollMs: deps.pollMs,
        onProgress: (line) => process.stderr.write(interactive ? `\r${line.padEnd(80)}` : `${line}\n`),
      });
      if (interactive) process.stderr.write('\n');
      output(options, results, () => `${formatSmoke(results)}\n`);
      if (results.length === 0 || results.some((r) => !r.ok)) exitWith(EXIT_CODES.problem);
    });
}
