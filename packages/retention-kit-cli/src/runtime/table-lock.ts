/**
 * The live lock of a sensitive DynamoDB table, checked against the classification of every DynamoDB
 * action: each action the lock limits must be explicitly denied to a principal of the account that
 * the lock does not name, whatever IAM grants it. Evaluated with an IAM policy simulator, so a DENY
 * that is present but loosened (a wider exemption, an extra condition) is found as well as a missing one.
 */
import { type BackupSummary, DescribeTableCommand, type DynamoDBClient, GetResourcePolicyCommand, ListBackupsCommand, ListTagsOfResourceCommand, paginateListTables } from '@aws-sdk/client-dynamodb';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { CATEGORY_TAG, SENSITIVE_TABLE_ACTION_RULES } from 'retention-kit/policy';

export interface TableLockProblem {
  readonly table: string;
  readonly action: string;
  readonly problem: string;
}

const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/** A principal no lock names: what every limited action must be denied to. */
export const unnamedPrincipal = (account: string) => `arn:aws:iam::${account}:role/retention-review-unnamed-principal`;

/** Every limited action of the classification that `policy` does not deny to an unnamed principal of `account`. */
export async function tableLockGaps(tableArn: string, policy: unknown, account: string): Promise<TableLockProblem[]> {
  const principal = unnamedPrincipal(account);
  const problems: TableLockProblem[] = [];
  for (const [name, rule] of Object.entries(SENSITIVE_TABLE_ACTION_RULES)) {
    if (rule.governedBy !== 'table-policy' || rule.access === 'anyone') continue;
    const result = await runSimulation(
      {
        request: {
          principal,
          action: `dynamodb:${name}`,
          resource: { resource: tableArn, accountId: account },
          contextVariables: { 'aws:PrincipalArn': principal, 'aws:PrincipalIsAWSService': 'false' },
        },
        identityPolicies: [{ name: 'allow-all', policy: ALLOW_ALL }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: policy,
      },
      {},
    );
    if (result.resultType === 'error') {
      problems.push({ table: tableArn, action: name, problem: `the live policy does not parse: ${JSON.stringify(result.errors)}` });
      return problems;
    }
    if (result.overallResult !== 'ExplicitlyDenied') {
      problems.push({ table: tableArn, action: name, problem: `not denied to principals the lock does not name (${rule.access}: ${rule.why})` });
    }
  }
  return problems;
}

/** The tables of the account tagged with one of the sensitive categories. */
export async function sensitiveTables(client: DynamoDBClient, categories: readonly string[]): Promise<string[]> {
  const arns: string[] = [];
  for await (const page of paginateListTables({ client }, {})) {
    for (const name of page.TableNames ?? []) {
      const arn = await tableArn(client, name);
      const tags = await client.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
      if ((tags.Tags ?? []).some((t) => t.Key === CATEGORY_TAG && categories.includes(t.Value ?? ''))) arns.push(arn);
    }
  }
  return arns;
}

async function tableArn(client: DynamoDBClient, name: string): Promise<string> {
  if (name.startsWith('arn:')) return name;
  const described = await client.send(new DescribeTableCommand({ TableName: name }));
  if (!described.Table?.TableArn) throw new Error(`table ${name}: DescribeTable returned no ARN`);
  return described.Table.TableArn;
}

/** Every DynamoDB backup of a table (ListBackups has no SDK paginator). */
async function tableBackups(client: DynamoDBClient, tableName: string): Promise<BackupSummary[]> {
  const backups: BackupSummary[] = [];
  let start: string | undefined;
  do {
    const page = await client.send(new ListBackupsCommand({ TableName: tableName, BackupType: 'ALL', ExclusiveStartBackupArn: start }));
    backups.push(...(page.BackupSummaries ?? []));
    start = page.LastEvaluatedBackupArn;
  } while (start);
  return backups;
}

/** The lock of each table: gaps in its resource policy, and DynamoDB backups of it, which its policy cannot guard. */
export async function checkTableLocks(client: DynamoDBClient, tables: readonly string[], account: string): Promise<TableLockProblem[]> {
  const problems: TableLockProblem[] = [];
  for (const table of tables) {
    const arn = await tableArn(client, table);
    let policy: unknown;
    try {
      const response = await client.send(new GetResourcePolicyCommand({ ResourceArn: arn }));
      policy = JSON.parse(response.Policy ?? '{"Version":"2012-10-17","Statement":[]}');
    } catch (error) {
      if ((error as { name?: string }).name !== 'PolicyNotFoundException') throw error;
      problems.push({ table: arn, action: '*', problem: 'missing: the table has no resource policy, so nothing of the lock is in place' });
      continue;
    }
    problems.push(...(await tableLockGaps(arn, policy, account)));
    for (const backup of await tableBackups(client, arn.split('/')[1])) {
      problems.push({
        table: arn,
        action: 'RestoreTableFromBackup',
        problem: `DynamoDB backup ${backup.BackupArn} (${backup.BackupType}, ${backup.BackupCreationDateTime?.toISOString() ?? 'unknown date'}) exists outside the vaults: anyone IAM allows can restore it; delete it, or keep the runbook's service control policy attached`,
      });
    }
  }
  return problems;
}
