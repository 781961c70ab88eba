/**
 * Point-in-time restore of an Aurora PostgreSQL cluster into a new cluster: checks the time is
 * within the restorable window, restores with the source's network, key and settings, adds a writer,
 * waits for both, and measures the elapsed time (its part of the RTO).
 */
import {
  CreateDBInstanceCommand,
  type CreateDBInstanceCommandInput,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  type RDSClient,
  RestoreDBClusterToPointInTimeCommand,
  type RestoreDBClusterToPointInTimeCommandInput,
} from '@aws-sdk/client-rds';

export interface PitrRequest {
  readonly sourceClusterId: string;
  /** ISO 8601 time to restore to, or 'latest'. */
  readonly toTime: string;
  readonly newClusterId: string;
  /** Instance class of the writer. @default the source writer's class */
  readonly instanceClass?: string;
}

export interface PitrPlan {
  readonly restore: RestoreDBClusterToPointInTimeCommandInput;
  readonly writer: CreateDBInstanceCommandInput;
}

export class PitrError extends Error {}

/** Reads the source cluster and builds the two calls of the restore; refuses a time outside the restorable window. */
export async function planPointInTimeRestore(rds: RDSClient, request: PitrRequest): Promise<PitrPlan> {
  const { DBClusters } = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: request.sourceClusterId }));
  const source = DBClusters?.[0];
  if (!source) throw new PitrError(`no cluster ${request.sourceClusterId}`);
  const latest = request.toTime === 'latest';
  if (!latest) {
    const at = new Date(request.toTime);
    if (Number.isNaN(at.getTime())) throw new PitrError(`--to-time ${JSON.stringify(request.toTime)} is not an ISO 8601 time (or 'latest')`);
    const earliest = source.EarliestRestorableTime;
    const newest = source.LatestRestorableTime;
    if ((earliest && at < earliest) || (newest && at > newest)) {
      throw new PitrError(`${request.toTime} is outside the restorable window of ${request.sourceClusterId}: ${earliest?.toISOString()} to ${newest?.toISOString()}`);
    }
  }
  const writerId = source.DBClusterMembers?.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier;
  let instanceClass = request.instanceClass;
  if (!instanceClass && writerId) {
    const { DBInstances } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: writerId }));
    instanceClass = DBInstances?.[0]?.DBInstanceClass;
  }
  return {
    restore: {
      SourceDBClusterIdentifier: request.sourceClusterId,
      DBClusterIdentifier: request.newClusterId,
      ...(latest ? { UseLatestRestorableTime: true } : { RestoreToTime: new Date(request.toTime) }),
      DBSubnetGroupName: source.DBSubnetGroup,
      VpcSecurityGroupIds: source.VpcSecurityGroups?.flatMap((g) => (g.VpcSecurityGroupId ? [g.VpcSecurityGroupId] : [])),
      KmsKeyId: source.KmsKeyId,
      CopyTagsToSnapshot: source.CopyTagsToSnapshot,
      EnableCloudwatchLogsExports: source.EnabledCloudwatchLogsExports,
      DeletionProtection: false,
      ...(source.ServerlessV2ScalingConfiguration ? { ServerlessV2ScalingConfiguration: source.ServerlessV2ScalingConfiguration } : {}),
    },
    writer: {
      DBInstanceIdentifier: `${request.newClusterId}-writer`,
      DBClusterIdentifier: request.newClusterId,
      Engine: source.Engine,
      DBInstanceClass: instanceClass ?? 'db.serverless',
    },
  };
}

export interface PitrProgress {
  (status: { resource: string; status: string; elapsedMs: number }): void;
}

async function waitAvailable(read: () => Promise<string | undefined>, resource: string, started: number, options: { pollMs: number; timeoutMs: number; onProgress?: PitrProgress; sleep: (ms: number) => Promise<void> }): Promise<void> {
  for (;;) {
    const status = (await read()) ?? 'unknown';
    const elapsedMs = Date.now() - started;
    options.onProgress?.({ resource, status, elapsedMs });
    if (status === 'available') return;
    if (['failed', 'incompatible-restore', 'incompatible-parameters', 'inaccessible-encryption-credentials'].includes(status)) throw new PitrError(`${resource} ended ${status}`);
    if (elapsedMs > options.timeoutMs) throw new PitrError(`${resource} still ${status} after ${Math.round(elapsedMs / 60_000)} minutes`);
    await options.sleep(options.pollMs);
  }
}

/** Runs the plan: restore, writer, wait for both. Returns the elapsed milliseconds. */
export async function runPointInTimeRestore(
  rds: RDSClient,
  plan: PitrPlan,
  options: { pollMs?: number; timeoutMs?: number; onProgress?: PitrProgress; sleep?: (ms: number) => Promise<void> } = {},
): Promise<number> {
  const started = Date.now();
  const wait = { pollMs: options.pollMs ?? 30_000, timeoutMs: options.timeoutMs ?? 4 * 3_600_000, onProgress: options.onProgress, sleep: options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))) };
  await rds.send(new RestoreDBClusterToPointInTimeCommand(plan.restore));
  await rds.send(new CreateDBInstanceCommand(plan.writer));
  const clusterId = plan.restore.DBClusterIdentifier!;
  const writerId = plan.writer.DBInstanceIdentifier!;
  await waitAvailable(async () => (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId }))).DBClusters?.[0]?.Status, `cluster ${clusterId}`, started, wait);
  await waitAvailable(async () => (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: writerId }))).DBInstances?.[0]?.DBInstanceStatus, `instance ${writerId}`, started, wait);
  return Date.now() - started;
}
