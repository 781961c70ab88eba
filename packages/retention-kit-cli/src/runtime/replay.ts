/**
 * Replays a window of an EventBridge archive into a bus (the cold standby's, after a failover),
 * with EventBridge's own replay: the archive keeps the events, StartReplay sends those of the window
 * to the bus again, to all its rules or to the rules named. Progress is how far through the window
 * the replay has come (EventLastReplayedTime).
 */
import { DescribeArchiveCommand, DescribeReplayCommand, type EventBridgeClient, StartReplayCommand } from '@aws-sdk/client-eventbridge';

export interface ReplayRequest {
  archiveName: string;
  /** ARN of the bus the events go to. */
  destinationBusArn: string;
  from: Date;
  to: Date;
  /** Only these rules of the destination bus receive the events (EventBridge's replay filter). */
  ruleArns?: string[];
  /** Name of the replay (unique per account and Region). */
  replayName?: string;
}

export interface ReplayPlan {
  archiveArn: string;
  sourceBusArn?: string;
  eventCount?: number;
  sizeBytes?: number;
  retentionDays?: number;
  input: {
    ReplayName: string;
    EventSourceArn: string;
    EventStartTime: Date;
    EventEndTime: Date;
    Destination: { Arn: string; FilterArns?: string[] };
    Description: string;
  };
}

export class ReplayError extends Error {}

/** The replay EventBridge would run: the archive checked, the window checked against its retention. */
export async function planReplay(events: EventBridgeClient, request: ReplayRequest, now = new Date()): Promise<ReplayPlan> {
  const problems: string[] = [];
  if (!(request.from < request.to)) problems.push(`--from (${request.from.toISOString()}) must be before --to (${request.to.toISOString()})`);
  if (request.to > now) problems.push(`--to (${request.to.toISOString()}) is in the future: a replay covers events already archived`);
  const archive = await events.send(new DescribeArchiveCommand({ ArchiveName: request.archiveName }));
  if (!archive.ArchiveArn) throw new ReplayError(`no archive named ${request.archiveName}`);
  if (archive.State && archive.State !== 'ENABLED') problems.push(`archive ${request.archiveName} is ${archive.State}, not ENABLED`);
  const retention = archive.RetentionDays ?? 0;
  if (retention > 0 && request.from.getTime() < now.getTime() - retention * 86_400_000) {
    problems.push(`--from (${request.from.toISOString()}) is older than the archive keeps events (${retention} days): the start of the window is gone`);
  }
  if (problems.length > 0) throw new ReplayError(problems.join('; '));
  const name = request.replayName ?? `${request.archiveName}-${request.from.toISOString().replace(/[^0-9]/g, '').slice(0, 12)}`.slice(0, 64);
  return {
    archiveArn: archive.ArchiveArn,
    sourceBusArn: archive.EventSourceArn,
    eventCount: archive.EventCount,
    sizeBytes: archive.SizeBytes,
    retentionDays: archive.RetentionDays,
    input: {
      ReplayName: name,
      EventSourceArn: archive.ArchiveArn,
      EventStartTime: request.from,
      EventEndTime: request.to,
      Destination: { Arn: request.destinationBusArn, ...(request.ruleArns?.length ? { FilterArns: request.ruleArns } : {}) },
      Description: `Replay of ${request.archiveName} from ${request.from.toISOString()} to ${request.to.toISOString()}`,
    },
  };
}

export interface ReplayProgress {
  state: string;
  /** Share of the window replayed, 0 to 1. */
  done: number;
}

/** Starts the replay and waits for it to end; throws when it fails or is cancelled. */
export async function runReplay(
  events: EventBridgeClient,
  plan: ReplayPlan,
  options: { pollMs?: number; onProgress?: (p: ReplayProgress) => void; sleep?: (ms: number) => Promise<void> } = {},
): Promise<{ replayArn?: string; state: string }> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = await events.send(new StartReplayCommand(plan.input));
  const span = plan.input.EventEndTime.getTime() - plan.input.EventStartTime.getTime();
  for (;;) {
    const replay = await events.send(new DescribeReplayCommand({ ReplayName: plan.input.ReplayName }));
    const state = replay.State ?? 'UNKNOWN';
    const last = replay.EventLastReplayedTime?.getTime();
    const done = state === 'COMPLETED' ? 1 : last ? Math.min(1, Math.max(0, (last - plan.input.EventStartTime.getTime()) / span)) : 0;
    options.onProgress?.({ state, done });
    if (state === 'COMPLETED') return { replayArn: started.ReplayArn, state };
    if (state === 'FAILED' || state === 'CANCELLED') throw new ReplayError(`replay ${plan.input.ReplayName} ended ${state}${replay.StateReason ? `: ${replay.StateReason}` : ''}`);
    await sleep(options.pollMs ?? 10_000);
  }
}
