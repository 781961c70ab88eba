import {
  BackupClient,
  GetBackupSelectionCommand,
  ListBackupJobsCommand,
  ListBackupPlansCommand,
  ListBackupSelectionsCommand,
  ListCopyJobsCommand,
  ListRecoveryPointsByResourceCommand,
} from '@aws-sdk/client-backup';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../packages/retention-kit-cli/src/cli/main';
import { handler } from '../../../packages/retention-kit-cli/src/lambdas/freshness-check';
import { checkFreshness, lastRunPastStartWindow } from '../../../packages/retention-kit-cli/src/runtime/freshness';

const backup = mockClient(BackupClient);
const client = new BackupClient({ region: 'us-east-1' });
const NOW = new Date('2026-11-22T12:00:00Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);
const table = (name: string) => `arn:aws:dynamodb:us-east-1:111111111111:table/${name}`;

const categories = { critical_data: { rpoHours: 24, copies: true }, document_storage: { rpoHours: 24, copies: false } };

/** A mocked AWS Backup holding plans, selections, recovery points and copy jobs; lists are paginated two items a page. */
function world(spec: {
  plans: { id: string; name: string; resources: string[] }[];
  points: Record<string, { created: Date; status?: string }[]>;
  copies: Record<string, Date[]>;
}) {
  const page = <T>(items: T[], token: string | undefined) => {
    const start = token ? Number(token) : 0;
    return { items: items.slice(start, start + 2), next: start + 2 < items.length ? String(start + 2) : undefined };
  };
  backup.on(ListBackupPlansCommand).callsFake((input: { NextToken?: string }) => {
    const p = page(spec.plans, input.NextToken);
    return { BackupPlansList: p.items.map((x) => ({ BackupPlanId: x.id, BackupPlanName: x.name })), NextToken: p.next };
  });
  backup.on(ListBackupSelectionsCommand).callsFake((input: { BackupPlanId: string }) => ({
    BackupSelectionsList: [{ SelectionId: `${input.BackupPlanId}-sel`, BackupPlanId: input.BackupPlanId }],
  }));
  backup.on(GetBackupSelectionCommand).callsFake((input: { BackupPlanId: string }) => ({
    BackupSelection: { SelectionName: 's', IamRoleArn: 'r', Resources: spec.plans.find((p) => p.id === input.BackupPlanId)!.resources },
  }));
  backup.on(ListRecoveryPointsByResourceCommand).callsFake((input: { ResourceArn: string; NextToken?: string }) => {
    const p = page(spec.points[input.ResourceArn] ?? [], input.NextToken);
    return { RecoveryPoints: p.items.map((r) => ({ CreationDate: r.created, Status: r.status ?? 'COMPLETED' })), NextToken: p.next };
  });
  backup.on(ListBackupJobsCommand).resolves({ BackupJobs: [] });
  backup.on(ListCopyJobsCommand).callsFake((input: { ByResourceArn?: string; NextToken?: string }) => {
    if (!input.ByResourceArn) return { CopyJobs: [] };
    const p = page(spec.copies[input.ByResourceArn] ?? [], input.NextToken);
    return { CopyJobs: p.items.map((d) => ({ CompletionDate: d, State: 'COMPLETED' })), NextToken: p.next };
  });
}

describe('freshness check (AWS Backup mocked: no local server exists for it)', () => {
  beforeEach(() => backup.reset());

  it('finds fresh, stale and never-backed-up resources across paginated plans and listings', async () => {
    world({
      plans: [
        { id: 'p1', name: 'Persistent-critical_data', resources: [table('Fresh'), table('Stale'), table('NoCopy')] },
        { id: 'p2', name: 'Persistent-document_storage', resources: [table('Never')] },
        { id: 'p3', name: 'someone-elses-plan', resources: [table('NotOurs')] },
      ],
      points: {
        // Fresh's newest point is on the second page; a newer one that FAILED must not count.
        [table('Fresh')]: [{ created: hoursAgo(70) }, { created: hoursAgo(48) }, { created: hoursAgo(2) }, { created: hoursAgo(1), status: 'EXPIRED' }],
        [table('Stale')]: [{ created: hoursAgo(30) }],
        [table('NoCopy')]: [{ created: hoursAgo(3) }],
      },
      copies: { [table('Fresh')]: [hoursAgo(26), hoursAgo(1)], [table('Stale')]: [hoursAgo(29)] },
    });
    const report = await checkFreshness(client, { categories, marginHours: 1, now: NOW });
    const byName = Object.fromEntries(report.resources.map((r) => [r.resourceArn.split('/').pop(), r]));
    expect(Object.keys(byName).sort()).toEqual(['Fresh', 'Never', 'NoCopy', 'Stale']);
    expect(byName.Fresh).toMatchObject({ status: 'fresh', recoveryPointAgeHours: 2, copyAgeHours: 1, thresholdHours: 25, problems: [] });
    expect(byName.Stale).toMatchObject({ status: 'stale', problems: ['newest recovery point is 30 hours old (limit 25)', 'newest copy to the backup account is 29 hours old (limit 25)'] });
    expect(byName.NoCopy).toMatchObject({ status: 'stale', problems: ['no completed copy to the backup account in the last 50 hours'] });
    expect(byName.Never).toMatchObject({ status: 'never backed up', category: 'document_storage', problems: ['no completed recovery point at all'] });
    expect(report.categories).toEqual([
      { category: 'critical_data', resources: 3, stale: 2, oldestAgeHours: 30, slowJobs: 0, oldestRunningJobMinutes: 0, missedStarts: 0 },
      { category: 'document_storage', resources: 1, stale: 1, oldestAgeHours: Infinity, slowJobs: 0, oldestRunningJobMinutes: 0, missedStarts: 0 },
    ]);
  });

  it('asks for completed copies of each resource only, since twice the limit', async () => {
    world({ plans: [{ id: 'p1', name: 'S-critical_data', resources: [table('A')] }], points: { [table('A')]: [{ created: hoursAgo(1) }] }, copies: {} });
    await checkFreshness(client, { categories, marginHours: 1, now: NOW });
    expect(backup.commandCalls(ListCopyJobsCommand)[0].args[0].input).toEqual({ ByResourceArn: table('A'), ByState: 'COMPLETED', ByCreatedAfter: hoursAgo(50) });
  });
});

describe('`retention status` and the scheduled handler (AWS Backup mocked: no local server exists for it)', () => {
  beforeEach(() => backup.reset());

  const staleWorld = () =>
    world({
      plans: [{ id: 'p1', name: 'Persistent-critical_data', resources: [table('Fresh'), table('Old')] }],
      points: { [table('Fresh')]: [{ created: new Date(Date.now() - 3_600_000) }], [table('Old')]: [{ created: new Date(Date.now() - 40 * 3_600_000) }] },
      copies: { [table('Fresh')]: [new Date(Date.now() - 3_600_000)], [table('Old')]: [new Date(Date.now() - 3_600_000)] },
    });

  it('prints each resource against its limit and exits 1 when one is stale', async () => {
    staleWorld();
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      await buildProgram().parseAsync(['node', 'retention', 'status', '--region', 'us-east-1', '--app', 'apps/reference']);
    } finally {
      process.stdout.write = write;
    }
    const text = out.join('');
    expect(text).toContain('STALE');
    expect(text).toContain('newest recovery point is 40 hours old');
    expect(text).toContain('ble/Old');
    expect(text).toMatch(/2 protected resources, 1 not fresh/);
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
  });

  it('the handler publishes stale counts per category as CloudWatch embedded metrics', async () => {
    staleWorld();
    process.env.CATEGORIES = JSON.stringify({ critical_data: { rpoHours: 24, copies: true } });
    process.env.MARGIN_HOURS = '1';
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof process.stdout.write;
    let result: { stale: number; resources: number };
    try {
      result = await handler();
    } finally {
      process.stdout.write = write;
    }
    expect(result).toEqual({ stale: 1, resources: 2, slowJobs: 0, missedStarts: 0 });
    const emf = lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
    const stale = emf.find((m) => m.StaleResources !== undefined);
    expect(stale).toMatchObject({ Category: 'critical_data', service: 'retention-freshness', StaleResources: 1 });
    expect(stale._aws.CloudWatchMetrics[0].Namespace).toBe('RetentionKit');
  });
});

describe('slow and missed jobs (AWS Backup mocked: no local server exists for it)', () => {
  beforeEach(() => backup.reset());
  const DAILY = { rpoHours: 24, copies: false, schedule: 'cron(0 2 * * ? *)', startWindowMinutes: 60, completionWindowMinutes: 600 };

  it('counts a running job past 80% of its completion window as slow, and names the oldest running job\'s age', async () => {
    world({ plans: [{ id: 'p1', name: 'Persistent-critical_data', resources: [table('Fresh')] }], points: { [table('Fresh')]: [{ created: hoursAgo(2) }] }, copies: {} });
    backup.on(ListBackupJobsCommand).callsFake((input: { ByState?: string }) =>
      input.ByState === 'RUNNING'
        ? {
            BackupJobs: [
              { BackupJobId: 'slow', ResourceArn: table('Big'), CreationDate: new Date(NOW.getTime() - 500 * 60_000), CreatedBy: { BackupPlanId: 'p1' } },
              { BackupJobId: 'fine', ResourceArn: table('Small'), CreationDate: new Date(NOW.getTime() - 100 * 60_000), CreatedBy: { BackupPlanId: 'p1' } },
              { BackupJobId: 'not-ours', ResourceArn: table('Other'), CreationDate: new Date(NOW.getTime() - 900 * 60_000), CreatedBy: { BackupPlanId: 'someone-else' } },
            ],
          }
        : { BackupJobs: [{ BackupJobId: 'scheduled' }] },
    );
    const report = await checkFreshness(client, { categories: { critical_data: DAILY }, marginHours: 1, now: NOW });
    expect(report.slowJobs).toEqual([{ kind: 'backup', jobId: 'slow', resourceArn: table('Big'), category: 'critical_data', runningMinutes: 500, completionWindowMinutes: 600 }]);
    expect(report.categories[0]).toMatchObject({ slowJobs: 1, oldestRunningJobMinutes: 500, missedStarts: 0 });
  });

  it('counts a resource with no backup job since the last scheduled run past its start window as a missed start', async () => {
    world({ plans: [{ id: 'p1', name: 'Persistent-critical_data', resources: [table('Ran'), table('Skipped')] }], points: { [table('Ran')]: [{ created: hoursAgo(9) }], [table('Skipped')]: [{ created: hoursAgo(9) }] }, copies: {} });
    backup.on(ListBackupJobsCommand).callsFake((input: { ByState?: string; ByResourceArn?: string; ByCreatedAfter?: Date }) => {
      if (input.ByState === 'RUNNING') return { BackupJobs: [] };
      // Today's 02:00 run (NOW is 12:00) created a job for one of them.
      expect(input.ByCreatedAfter).toEqual(new Date('2026-11-22T01:59:00Z'));
      return { BackupJobs: input.ByResourceArn === table('Ran') ? [{ BackupJobId: 'scheduled', State: 'COMPLETED' }] : [] };
    });
    const report = await checkFreshness(client, { categories: { critical_data: DAILY }, marginHours: 1, now: NOW });
    const skipped = report.resources.find((r) => r.resourceArn === table('Skipped'))!;
    expect(skipped).toMatchObject({ missedStart: true, lastScheduledRun: new Date('2026-11-22T02:00:00Z'), status: 'fresh' });
    expect(skipped.problems).toEqual(['no backup job was started for the run scheduled at 2026-11-22T02:00:00.000Z']);
    expect(report.categories[0].missedStarts).toBe(1);
  });

  it('waits for the start window to pass before it looks', () => {
    expect(lastRunPastStartWindow('cron(0 2 * * ? *)', 60, new Date('2026-11-22T02:30:00Z'))).toEqual(new Date('2026-11-21T02:00:00Z'));
    expect(lastRunPastStartWindow('cron(0 2 * * ? *)', 60, new Date('2026-11-22T03:00:00Z'))).toEqual(new Date('2026-11-22T02:00:00Z'));
    expect(lastRunPastStartWindow('cron(0 */12 * * ? *)', 60, new Date('2026-11-22T14:00:00Z'))).toEqual(new Date('2026-11-22T12:00:00Z'));
  });
});
