import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Command } from 'commander';
import { awsSettings, output, withAws, withJson } from '../aws';
import { planReplay, runReplay } from '../../runtime/replay';

export interface ReplayCommandDeps {
  events?: (settings: { region: string; profile?: string }) => EventBridgeClient;
  pollMs?: number;
}

const date = (value: string, flag: string) => {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new Error(`${flag} ${JSON.stringify(value)} is not a date: give an ISO 8601 time such as 2026-11-30T00:00:00Z`);
  return d;
};

export function replayCommand(deps: ReplayCommandDeps = {}): Command {
  const command = new Command('replay')
    .description("Replays a window of an event bus's EventBridge archive (protect(bus, category)) into a bus, such as the cold standby's")
    .requiredOption('--archive <name>', 'the archive (the report names it)')
    .requiredOption('--to-bus <arn>', 'the bus the events go to')
    .requiredOption('--from <iso8601>', 'the start of the window')
    .requiredOption('--to <iso8601>', 'the end of the window')
    .option('--rule <arn...>', 'only these rules of the destination bus receive the events (EventBridge replays to rules, not to an ad hoc pattern: give the rules whose patterns you want)')
    .option('--name <name>', 'the replay name (default: the archive and the window start)')
    .option('--dry-run', 'check the archive and the window and print the replay, start nothing');
  withJson(withAws(command)).action(async (options: { archive: string; toBus: string; from: string; to: string; rule?: string[]; name?: string; dryRun?: boolean; region?: string; profile?: string; json?: boolean }) => {
    const settings = await awsSettings(options);
    const events = (deps.events ?? ((s) => new EventBridgeClient(s)))(settings);
    const plan = await planReplay(events, { archiveName: options.archive, destinationBusArn: options.toBus, from: date(options.from, '--from'), to: date(options.to, '--to'), ruleArns: options.rule, replayName: options.name });
    if (options.dryRun) {
      output(options, { dryRun: true, ...plan }, () => `Would call StartReplay ${JSON.stringify(plan.input, null, 2)}\nThe archive holds ${plan.eventCount ?? '?'} events (${plan.sizeBytes ?? '?'} bytes), kept ${plan.retentionDays || 'indefinitely'} days.\n`);
      return;
    }
    const interactive = process.stderr.isTTY === true && !options.json;
    const result = await runReplay(events, plan, {
      pollMs: deps.pollMs,
      onProgress: ({ state, done }) => {
        const line = `replay ${state}: ${Math.round(done * 100)}% of the window`;
        process.stderr.write(interactive ? `\r${line.padEnd(60)}` : `${line}\n`);
      },
    });
    if (interactive) process.stderr.write('\n');
    output(options, { ...result, replayName: plan.input.ReplayName }, () => `Replayed ${options.archive} from ${options.from} to ${options.to} into ${options.toBus} (${plan.input.ReplayName}).\n`);
  });
  return command;
}
