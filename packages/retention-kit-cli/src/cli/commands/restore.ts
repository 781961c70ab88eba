import { RDSClient } from '@aws-sdk/client-rds';
import { Command } from 'commander';
import { awsSettings, output, withAws, withJson } from '../aws';
import { airGappedRestoreSteps } from '../../runtime/air-gapped-restore';
import { planPointInTimeRestore, runPointInTimeRestore } from '../../runtime/pitr';

const minutes = (ms: number) => `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;

export function restoreCommand(): Command {
  const command = new Command('restore').description('Restores');
  const postgres = command
    .command('postgres')
    .description('Point-in-time restore of an Aurora PostgreSQL cluster into a new cluster; prints the elapsed time (its part of the RTO)')
    .requiredOption('--cluster <id>', 'the source cluster')
    .requiredOption('--to-time <iso8601>', "the time to restore to (UTC), or 'latest'")
    .requiredOption('--new-cluster-id <id>', 'the cluster to create')
    .option('--instance-class <class>', "the new writer's class (default: the source writer's)")
    .option('--dry-run', 'print the calls it would make, change nothing');
  withJson(withAws(postgres)).action(async (options: { cluster: string; toTime: string; newClusterId: string; instanceClass?: string; region?: string; profile?: string; json?: boolean; dryRun?: boolean }) => {
      const rds = new RDSClient(await awsSettings(options));
      const plan = await planPointInTimeRestore(rds, { sourceClusterId: options.cluster, toTime: options.toTime, newClusterId: options.newClusterId, instanceClass: options.instanceClass });
      if (options.dryRun) {
        output(options, { dryRun: true, restore: plan.restore, writer: plan.writer }, () => `Would call RestoreDBClusterToPointInTime ${JSON.stringify(plan.restore, null, 2)}\nWould call CreateDBInstance ${JSON.stringify(plan.writer, null, 2)}\n`);
        return;
      }
      const interactive = process.stdout.isTTY === true && !options.json;
      const elapsed = await runPointInTimeRestore(rds, plan, {
        onProgress: ({ resource, status, elapsedMs }) => {
          const line = `${resource}: ${status} (${minutes(elapsedMs)})`;
          process.stderr.write(interactive ? `\r${line.padEnd(80)}` : `${line}\n`);
        },
      });
      if (interactive) process.stderr.write('\n');
      output(options, { sourceCluster: options.cluster, toTime: options.toTime, newCluster: options.newClusterId, elapsedMs: elapsed }, () => `Restored ${options.cluster} to ${options.toTime} as ${options.newClusterId} in ${minutes(elapsed)}.\n`);
    });
  command
    .command('air-gapped')
    .description("Prints AWS's documented steps to restore from a logically air-gapped vault, with its ARNs: in its own account, shared to a recovery account through AWS RAM, or with multi-party approval when the owning account is unreachable")
    .requiredOption('--vault-arn <arn>', 'the logically air-gapped vault')
    .option('--recovery-account <id>', 'restore in this account instead of the vault\'s own')
    .option('--multi-party-approval', 'the owning account is unreachable: go through a restore access backup vault')
    .option('--json', 'print the steps as JSON')
    .action((options: { vaultArn: string; recoveryAccount?: string; multiPartyApproval?: boolean; json?: boolean }) => {
      const steps = airGappedRestoreSteps({ vaultArn: options.vaultArn, recoveryAccount: options.recoveryAccount, multiPartyApproval: options.multiPartyApproval });
      output(options, steps, () => steps.map((s, i) => `${i + 1}. [account ${s.account}] ${s.what}\n${s.command.replace(/^/gm, '   ')}\n`).join('\n'));
    });
  return command;
}
