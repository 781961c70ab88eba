/**
 * Who may copy, restore, scan and decrypt: read from the vault access policies, key policies and
 * sensitive-table metadata of a synthesized app. The statements are recognized by the Sids the
 * toolkit gives them (src/policy/statements.ts); a vault without them is reported as governed by IAM alone.
 */
import { PROTECTION_METADATA_KEY, type PolicyStatementJson, type ProtectedRecord, SID } from 'retention-kit/policy';

export interface VaultAccessRow {
  readonly stack: string;
  readonly vault: string;
  readonly copyIn: string;
  readonly copyOut: string;
  readonly restore: string;
  readonly decrypt: string;
}

export interface TableAccessRow {
  readonly stack: string;
  readonly path: string;
  readonly items: string;
  readonly scan: string;
  readonly backupJobs: string;
  readonly configuration: string;
  readonly decrypt: string;
}

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

const withoutHash = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');

/**
 * A template value as text: a reference to a resource becomes its logical id without the CDK hash
 * (`ProviderApiRole`), a cross-stack import `Stack/LogicalId`.
 */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(renderValue).join(', ');
  if (value && typeof value === 'object') {
    const [key, arg] = Object.entries(value)[0] ?? [];
    if (key === 'Fn::GetAtt') return withoutHash((arg as string[])[0]);
    if (key === 'Ref') return withoutHash(arg as string);
    if (key === 'Fn::ImportValue') {
      const name = renderValue(arg);
      const exported = /^([^:]+):ExportsOutput(?:FnGetAtt|Ref)(.+?)[0-9A-F]{8}(?:[A-Za-z]+[0-9A-F]{8})?$/.exec(name);
      return exported ? `${exported[1]}/${exported[2]}` : `import ${name}`;
    }
    if (key === 'Fn::Join') return ((arg as [string, unknown[]])[1] ?? []).map(renderValue).join((arg as [string])[0]);
    // The deployment role's ARN: the partition is the only placeholder left in it.
    if (key === 'Fn::Sub' && typeof arg === 'string') return arg.replace(/\$\{AWS::Partition\}/g, 'aws');
  }
  return JSON.stringify(value);
}

const list = (value: unknown): string[] => (value === undefined ? [] : Array.isArray(value) ? value.map(renderValue) : [renderValue(value)]);

function statementsOf(policy: unknown): PolicyStatementJson[] {
  const statements = (policy as { Statement?: PolicyStatementJson[] } | undefined)?.Statement;
  return Array.isArray(statements) ? statements : [];
}

function conditionValues(statement: PolicyStatementJson | undefined, operator: string, key: string): string[] {
  return list(statement?.Condition?.[operator]?.[key]);
}

function vaultRow(stack: string, vault: Resource, keys: Record<string, Resource>): VaultAccessRow {
  const statements = statementsOf(vault.Properties?.AccessPolicy);
  const bySid = (sid: string) => statements.find((s) => s.Sid === sid);
  const allowIn = bySid('AllowCopyIntoFromSourceAccounts');
  const copyIn = allowIn
    ? `from ${list((allowIn.Principal as Record<string, unknown> | undefined)?.AWS).map((a) => a.split(':')[4]).join(', ')} in ${conditionValues(allowIn, 'StringEquals', 'aws:PrincipalOrgID').join(', ')} only`
    : 'this account (IAM)';

  const targets = bySid(SID.denyCopyTargets);
  const copiers = bySid(SID.denyCopyOut);
  let copyOut: string;
  if (copiers && !copiers.Condition) copyOut = 'nobody';
  else {
    const where = targets ? (targets.Condition ? `to ${conditionValues(targets, 'ForAnyValue:ArnNotLike', 'backup:CopyTargets').join(', ')}` : 'nowhere') : 'anywhere (IAM)';
    const who = copiers ? `by ${conditionValues(copiers, 'ArnNotEquals', 'aws:PrincipalArn').join(', ')}` : 'by principals IAM allows';
    copyOut = where === 'nowhere' ? 'nobody' : `${who}, ${where}`;
  }
  const restore = bySid(SID.denyRestore) ? 'nobody (break-glass)' : 'principals IAM allows';

  const keyArn = vault.Properties?.EncryptionKeyArn as { 'Fn::GetAtt'?: string[] } | undefined;
  const key = keyArn?.['Fn::GetAtt'] ? keys[keyArn['Fn::GetAtt'][0]] : undefined;
  const keyDeny = statementsOf(key?.Properties?.KeyPolicy).find((s) => s.Sid === SID.denyKeyDecrypt);
  const airGapped = vault.Type === 'AWS::Backup::LogicallyAirGappedBackupVault';
  const decrypt = key ? (keyDeny ? 'only through AWS Backup (break-glass)' : 'principals IAM allows') : airGapped && keyArn === undefined ? 'AWS owned key (through AWS Backup)' : 'unknown key';
  const name = renderValue(vault.Properties?.BackupVaultName);
  const range = airGapped ? ` (logically air-gapped, ${renderValue(vault.Properties?.MinRetentionDays)}-${renderValue(vault.Properties?.MaxRetentionDays)} days)` : '';
  return { stack, vault: `${name}${range}`, copyIn, copyOut, restore: airGapped && !bySid(SID.denyRestore) ? `${restore}; accounts it is shared with (AWS RAM, multi-party approval)` : restore, decrypt };
}

function tableRow(stack: string, resource: Resource): TableAccessRow | undefined {
  const record = resource.Metadata?.[PROTECTION_METADATA_KEY] as ProtectedRecord | undefined;
  const access = record?.tableAccess;
  if (!access) return undefined;
  const roles = (arns: readonly unknown[]) => arns.map(renderValue).join(', ');
  return {
    stack,
    path: ((resource.Metadata?.['aws:cdk:path'] as string | undefined) ?? stack).replace(/\/Resource$/, ''),
    items: access.appRoleArns.length > 0 ? `${roles([...access.appRoleArns, ...access.recoveryRoleArns])} only` : 'principals IAM allows',
    scan: access.recoveryRoleArns.length > 0 ? `${roles(access.recoveryRoleArns)} only` : 'nobody',
    backupJobs: `${renderValue(access.backupRoleArn)} (AWS Backup) only`,
    configuration: (access.deploymentRoleArns ?? []).length > 0 ? `${roles(access.deploymentRoleArns)} only` : 'nobody',
    decrypt: access.keyLocked
      ? `DynamoDB${access.keyLimitedToTable ? ' (for this table only)' : ''}, AWS Backup and ${roles([...access.appRoleArns, ...access.recoveryRoleArns, access.backupRoleArn])} only`
      : 'not limited by the toolkit (key not owned by the app)',
  };
}

export function accessRows(stack: string, resources: Record<string, Resource>): { vaults: VaultAccessRow[]; tables: TableAccessRow[] } {
  const keys = Object.fromEntries(Object.entries(resources).filter(([, r]) => r.Type === 'AWS::KMS::Key'));
  const vaults = Object.values(resources)
    .filter((r) => r.Type === 'AWS::Backup::BackupVault' || r.Type === 'AWS::Backup::LogicallyAirGappedBackupVault')
    .map((v) => vaultRow(stack, v, keys));
  const tables = Object.values(resources)
    .filter((r) => r.Type === 'AWS::DynamoDB::Table')
    .flatMap((t) => tableRow(stack, t) ?? []);
  return { vaults, tables };
}
