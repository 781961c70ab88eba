import { resolve } from 'node:path';
import { BackupClient } from '@aws-sdk/client-backup';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import Table from 'cli-table3';
import { Command } from 'commander';
import { parseRetentionPolicy } from 'retention-kit/policy';
import { awsSettings, output, withAws, withJson } from '../aws';
import { EXIT_CODES, exitWith } from '../exit-codes';
import { type FreshnessReport, checkFreshness } from '../../runtime/freshness';
import { cdkJsonContext } from '../../runtime/cdk-json';

export function formatFreshness(report: FreshnessReport): string {
  const when = (d?: Date, hours?: number) => (d ? `${d.toISOString().replace(/\.\d{3}Z$/, 'Z')} (${hours} h)` : '-');
  const table = new Table({
    head: ['Resource', 'Category', 'Status', 'Newest recovery point', 'Newest copy', 'Limit', 'Problems'],
    style: { head: [], border: [] },
    wordWrap: true,
    wrapOnWordBoundary: false,
    colWidths: [44, 18, 17, 30, 30, 8, 40],
  });
  for (const r of report.resources) {
    table.push([r.resourceArn, r.category, r.status === 'fresh' ? 'fresh' : r.status.toUpperCase(), when(r.newestRecoveryPoint, r.recoveryPointAgeHours), when(r.newestCopy, r.copyAgeHours), `${r.thresholdHours} h`, r.problems.join('; ')]);
  }
  const stale = report.resources.filter((r) => r.status !== 'fresh').length;
  const missed = report.resources.filter((r) => r.missedStart).length;
  const slow = report.slowJobs.map((j) => `\n  slow ${j.kind} job ${j.jobId} (${j.category}${j.resourceArn ? `, ${j.resourceArn}` : ''}): running ${j.runningMinutes} of its ${j.completionWindowMinutes} minutes`).join('');
  return `${table.toString()}\n${report.resources.length} protected resources, ${stale} not fresh, ${missed} missed their last scheduled start, ${report.slowJobs.length} jobs running slow (checked ${report.checkedAt.toISOString()})${slow}`;
}

export function statusCommand(): Command {
  const command = new Command('status').description('Show, per protected resource, its newest recovery point and copy against the RPO; exit 1 when any is stale');
  return withJson(withAws(command, 'the environment Region'))
    .option('--app <dir>', 'folder of the CDK app whose cdk.json holds the retention policy', '.')
    .option('--margin-hours <hours>', 'hours past the RPO before a recovery point counts as stale (default from the policy)')
    .action(async (options: { region?: string; profile?: string; json?: boolean; app: string; marginHours?: string }) => {
      const policy = parseRetentionPolicy(cdkJsonContext(resolve(options.app)));
      const categories = Object.fromEntries(
        Object.values(policy.categories).map((c) => [
          c.name,
          { rpoHours: c.rpoHours, copies: c.copyDestination !== undefined, schedule: c.schedule, startWindowMinutes: c.startWindowMinutes, completionWindowMinutes: c.completionWindowMinutes },
        ]),
      );
      const marginHours = options.marginHours === undefined ? policy.monitoring.freshnessMarginHours : Number(options.marginHours);
      const settings = await awsSettings(options);
      const report = await checkFreshness(new BackupClient(settings), { categories, marginHours, tagging: new ResourceGroupsTaggingAPIClient(settings) });
      output(options, report, () => `${formatFreshness(report)}\n`);
      if (report.resources.some((r) => r.status !== 'fresh' || r.missedStart) || report.slowJobs.length > 0) exitWith(EXIT_CODES.problem);
    });
}
