import { DescribeArchiveCommand, DescribeReplayCommand, EventBridgeClient, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { App, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BackupInfrastructureStack, Retention } from 'retention-kit';
import { replayCommand } from '../../../packages/retention-kit-cli/src/cli/commands/replay';
import { checkAssembly } from '../../../packages/retention-kit-cli/src/report/check';
import { protectionReport } from '../../../packages/retention-kit-cli/src/report/protection-report';
import { ReplayError, planReplay, runReplay } from '../../../packages/retention-kit-cli/src/runtime/replay';
import { synthError, synthesize, tempDir } from '../../support/apps';

const eventbridge = mockClient(EventBridgeClient);
const client = new EventBridgeClient({ region: 'us-east-1' });
const NOW = new Date('2026-12-02T12:00:00Z');
const ARCHIVE_ARN = 'arn:aws:events:us-east-1:444444444444:archive/Archive-ArchiveEvents';
const STANDBY_BUS = 'arn:aws:events:us-east-1:555555555555:event-bus/standby';

function app(categories: Record<string, unknown>) {
  const a = new App({ context: { backup_account_id: '222222222222', backup_region: 'us-west-2', backup_policies: categories, 'aws:cdk:enable-path-metadata': true }, outdir: tempDir('bus') });
  const env = { account: '444444444444', region: 'us-east-1' };
  new BackupInfrastructureStack(a, 'Infra', { env, monitoring: false, compliance: false });
  return { app: a, data: new Stack(a, 'Data', { env }) };
}

describe('event buses', () => {
  it('fails synth for an unclassified custom event bus, naming it', () => {
    const { app: a, data } = app({});
    new events.EventBus(data, 'Orders');
    expect(synthError(a)).toContain('EventBridge event bus Data/Orders/Resource is neither protected nor excluded: AWS Backup cannot back up an event bus: protect() gives it an EventBridge archive');
  });

  it('keeps a protected bus in an EventBridge archive for the category\'s retention, which the report and report --check show', () => {
    const { app: a, data } = app({ event_history: { retention_days: 90, copy_to_backup_account: false } });
    Retention.of(new events.EventBus(data, 'Orders')).protect('event_history');
    const d = synthesize(a);
    const [[, archive]] = Object.entries(d.templates.Data.Resources as Record<string, { Type: string; Properties: any }>).filter(([, r]) => r.Type === 'AWS::Events::Archive');
    expect(archive.Properties).toMatchObject({ ArchiveName: 'Data-Orders', RetentionDays: 90, SourceArn: { 'Fn::GetAtt': [expect.stringMatching(/^Orders/), 'Arn'] } });
    const report = protectionReport(d.directory);
    expect(report.rows.find((r) => r.path === 'Data/Orders')).toMatchObject({ status: 'protected', category: 'event_history', retentionDays: 90, localVault: 'EventBridge archive Data-Orders' });
    expect(checkAssembly(d.directory, report)).toEqual([]);
  });

  it('refuses a category that copies to the backup account, since an archive stays in its account', () => {
    const { app: a, data } = app({});
    Retention.of(new events.EventBus(data, 'Orders')).protect('critical_data');
    expect(synthError(a)).toContain('[Data/Orders/Resource] category critical_data copies to the backup account, and an EventBridge archive cannot leave its account');
  });
});

describe('retention replay (EventBridge mocked: no local server exists for it)', () => {
  beforeEach(() => {
    eventbridge.reset();
    eventbridge.on(DescribeArchiveCommand).resolves({ ArchiveArn: ARCHIVE_ARN, ArchiveName: 'Archive-ArchiveEvents', EventSourceArn: 'arn:aws:events:us-east-1:444444444444:event-bus/document-archive-events', State: 'ENABLED', RetentionDays: 90, EventCount: 1200, SizeBytes: 480000 });
  });
  const request = { archiveName: 'Archive-ArchiveEvents', destinationBusArn: STANDBY_BUS, from: new Date('2026-12-01T00:00:00Z'), to: new Date('2026-12-02T00:00:00Z') };

  it('replays the window into the standby bus, only to the rules named, and reports progress through the window', async () => {
    const plan = await planReplay(client, { ...request, ruleArns: ['arn:aws:events:us-east-1:555555555555:rule/standby/catalogue'] }, NOW);
    expect(plan.input).toEqual({
      ReplayName: 'Archive-ArchiveEvents-202612010000',
      EventSourceArn: ARCHIVE_ARN,
      EventStartTime: request.from,
      EventEndTime: request.to,
      Destination: { Arn: STANDBY_BUS, FilterArns: ['arn:aws:events:us-east-1:555555555555:rule/standby/catalogue'] },
      Description: 'Replay of Archive-ArchiveEvents from 2026-12-01T00:00:00.000Z to 2026-12-02T00:00:00.000Z',
    });
    eventbridge.on(StartReplayCommand).resolves({ ReplayArn: 'arn:replay', State: 'STARTING' });
    eventbridge
      .on(DescribeReplayCommand)
      .resolvesOnce({ State: 'RUNNING', EventLastReplayedTime: new Date('2026-12-01T06:00:00Z') })
      .resolvesOnce({ State: 'RUNNING', EventLastReplayedTime: new Date('2026-12-01T18:00:00Z') })
      .resolves({ State: 'COMPLETED' });
    const progress: number[] = [];
    const result = await runReplay(client, plan, { sleep: async () => {}, onProgress: (p) => progress.push(p.done) });
    expect(result).toEqual({ replayArn: 'arn:replay', state: 'COMPLETED' });
    expect(progress).toEqual([0.25, 0.75, 1]);
    expect(eventbridge.commandCalls(StartReplayCommand)[0].args[0].input).toEqual(plan.input);
  });

  it('refuses a window the archive no longer holds, a reversed window and one in the future, all at once', async () => {
    await expect(planReplay(client, { ...request, from: new Date('2026-08-01T00:00:00Z'), to: new Date('2026-07-01T00:00:00Z') }, NOW)).rejects.toThrow(
      /--from \(2026-08-01T00:00:00.000Z\) must be before --to[\s\S]*older than the archive keeps events \(90 days\)/,
    );
    await expect(planReplay(client, { ...request, to: new Date('2026-12-03T00:00:00Z') }, NOW)).rejects.toThrow(/is in the future/);
  });

  it('fails, naming the reason, when the replay fails', async () => {
    const plan = await planReplay(client, request, NOW);
    eventbridge.on(StartReplayCommand).resolves({});
    eventbridge.on(DescribeReplayCommand).resolves({ State: 'FAILED', StateReason: 'destination bus not found' });
    await expect(runReplay(client, plan, { sleep: async () => {} })).rejects.toThrow(new ReplayError('replay Archive-ArchiveEvents-202612010000 ended FAILED: destination bus not found'));
  });

  describe('the command', () => {
    let stdout: string[];
    beforeEach(() => {
      stdout = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (stdout.push(String(chunk)), true));
      vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    });
    afterEach(() => vi.restoreAllMocks());

    it('starts nothing on a dry run and says what it would replay', async () => {
      await new Command('retention')
        .exitOverride()
        .addCommand(replayCommand({ events: () => client, pollMs: 0 }))
        .parseAsync(['node', 'retention', 'replay', '--region', 'us-east-1', '--archive', 'Archive-ArchiveEvents', '--to-bus', STANDBY_BUS, '--from', '2026-12-01T00:00:00Z', '--to', '2026-12-01T12:00:00Z', '--dry-run']);
      expect(stdout.join('')).toContain('Would call StartReplay');
      expect(stdout.join('')).toContain('The archive holds 1200 events (480000 bytes), kept 90 days.');
      expect(eventbridge.commandCalls(StartReplayCommand)).toHaveLength(0);
    });
  });
});
