import { CreateDBInstanceCommand, DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient, RestoreDBClusterToPointInTimeCommand } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../packages/retention-kit-cli/src/cli/main';
import { planPointInTimeRestore, runPointInTimeRestore } from '../../../packages/retention-kit-cli/src/runtime/pitr';

const rds = mockClient(RDSClient);
const client = new RDSClient({ region: 'us-east-1' });
const SOURCE = {
  DBClusterIdentifier: 'service-db',
  Engine: 'aurora-postgresql',
  Status: 'available',
  DBSubnetGroup: 'service-db-subnets',
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0123' }],
  KmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/abcd',
  CopyTagsToSnapshot: true,
  EnabledCloudwatchLogsExports: ['postgresql'],
  EarliestRestorableTime: new Date('2026-10-23T00:00:00Z'),
  LatestRestorableTime: new Date('2026-11-22T11:55:00Z'),
  DBClusterMembers: [{ DBInstanceIdentifier: 'service-db-writer', IsClusterWriter: true }],
};

describe('point-in-time restore of a PostgreSQL cluster (RDS mocked: no local server exists for it)', () => {
  beforeEach(() => {
    rds.reset();
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'service-db-writer' }).resolves({ DBInstances: [{ DBInstanceClass: 'db.r6g.large' }] });
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'service-db' }).resolves({ DBClusters: [SOURCE] });
  });

  it('restores with the source network, key and settings, and a writer of the same class', async () => {
    const plan = await planPointInTimeRestore(client, { sourceClusterId: 'service-db', toTime: '2026-11-22T10:00:00Z', newClusterId: 'service-db-inc42' });
    expect(plan.restore).toEqual({
      SourceDBClusterIdentifier: 'service-db',
      DBClusterIdentifier: 'service-db-inc42',
      RestoreToTime: new Date('2026-11-22T10:00:00Z'),
      DBSubnetGroupName: 'service-db-subnets',
      VpcSecurityGroupIds: ['sg-0123'],
      KmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/abcd',
      CopyTagsToSnapshot: true,
      EnableCloudwatchLogsExports: ['postgresql'],
      DeletionProtection: false,
    });
    expect(plan.writer).toEqual({ DBInstanceIdentifier: 'service-db-inc42-writer', DBClusterIdentifier: 'service-db-inc42', Engine: 'aurora-postgresql', DBInstanceClass: 'db.r6g.large' });
  });

  it('refuses a time outside the restorable window, naming it', async () => {
    await expect(planPointInTimeRestore(client, { sourceClusterId: 'service-db', toTime: '2026-10-01T00:00:00Z', newClusterId: 'x' })).rejects.toThrow(
      '2026-10-01T00:00:00Z is outside the restorable window of service-db: 2026-10-23T00:00:00.000Z to 2026-11-22T11:55:00.000Z',
    );
  });

  it('calls restore, then the writer, then waits for both, reporting progress', async () => {
    let clusterPolls = 0;
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'service-db-inc42' }).callsFake(() => ({ DBClusters: [{ Status: ++clusterPolls < 3 ? 'creating' : 'available' }] }));
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'service-db-inc42-writer' }).resolves({ DBInstances: [{ DBInstanceStatus: 'available' }] });
    const plan = await planPointInTimeRestore(client, { sourceClusterId: 'service-db', toTime: 'latest', newClusterId: 'service-db-inc42' });
    expect(plan.restore.UseLatestRestorableTime).toBe(true);
    const progress: string[] = [];
    const elapsed = await runPointInTimeRestore(client, plan, { pollMs: 1, sleep: async () => undefined, onProgress: (p) => progress.push(`${p.resource}: ${p.status}`) });
    expect(elapsed).toBeGreaterThanOrEqual(0);
    const order = rds.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
    expect(order.indexOf('RestoreDBClusterToPointInTimeCommand')).toBeLessThan(order.indexOf('CreateDBInstanceCommand'));
    expect(rds.commandCalls(RestoreDBClusterToPointInTimeCommand)).toHaveLength(1);
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(1);
    expect(progress).toEqual(['cluster service-db-inc42: creating', 'cluster service-db-inc42: creating', 'cluster service-db-inc42: available', 'instance service-db-inc42-writer: available']);
  });

  it('--dry-run prints the calls and makes none', async () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      await buildProgram().parseAsync(['node', 'retention', 'restore', 'postgres', '--cluster', 'service-db', '--to-time', '2026-11-22T10:00:00Z', '--new-cluster-id', 'copy', '--region', 'us-east-1', '--dry-run']);
    } finally {
      process.stdout.write = write;
    }
    expect(out.join('')).toContain('Would call RestoreDBClusterToPointInTime');
    expect(rds.commandCalls(RestoreDBClusterToPointInTimeCommand)).toHaveLength(0);
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(0);
  });
});
