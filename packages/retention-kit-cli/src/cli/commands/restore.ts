import { RDSClient } from '@aws-sdk/client-rds';
import { Command } from 'commander';
import { clientSettings } from '../../runtime/clients';
import { planPointInTimeRestore, runPointInTimeRestore } from '../../runtime/pitr';

const minutes = (ms: number) => `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;

export function restoreCommand(): Command {
  const command = new Command('restore').description('Restores');
  command
    .command('postgres')
    .description('Point-in-time restore of an Aurora PostgreSQL cluster into a new cluster; prints the elapsed time (its part of the RTO)')
    .requiredOption('--cluster <id>', 'the source cluster')
    .requiredOption('--to-time <iso8601>', "the time to restore to (UTC), or 'latest'")
    .requiredOption('--new-cluster-id <id>', 'the cluster to create')
    .option('--instance-class <class>', "the new writer's class (default: the source writer's)")
    .option('--region <region>', 'the Region')
    .option('--dry-run', 'print the calls it would make, change nothing')
    .action(async (options: { cluster: string; toTime: string; newClusterId: string; instanceClass?: string; region?: string; dryRun?: boolean }) => {
      const rds = new RDSClient(clientSettings(options.region));
      const plan = await planPointInTimeRestore(rds, { sourceClusterId: options.cluster, toTime: options.toTime, newClusterId: options.newClusterId, instanceClass: options.instanceClass });
      if (options.dryRun) {
        process.stdout.write(`Would call RestoreDBClusterToPointInTime ${JSON.stringify(plan.restore, null, 2)}\nWould call CreateDBInstance ${JSON.stringify(plan.writer, null, 2)}\n`);
        return;
      }
      const interactive = process.stdout.isTTY === true;
      const elapsed = await runPointInTimeRestore(rds, plan, {
        onProgress: ({ resource, status, elapsedMs }) => {
          const line = `${resource}: ${status} (${minutes(elapsedMs)})`;
          process.stdout.write(interactive ? `\r${line.padEnd(80)}` : `${line}\n`);
        },
      });
      process.stdout.write(`${interactive ? '\n' : ''}Restored ${options.cluster} to ${options.toTime} as ${options.newClusterId} in ${minutes(elapsed)}.\n`);
    });
  return command;
}
