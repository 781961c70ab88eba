/**
 * The quarterly access review of the sensitive path: who can touch it (read from the live vault,
 * key and role policies), who did (the last days of CloudTrail), and whether the live policies are
 * still the ones the code deploys (drift).
 */
import { type BackupClient, GetBackupVaultAccessPolicyCommand } from '@aws-sdk/client-backup';
import { type CloudTrailClient, paginateLookupEvents } from '@aws-sdk/client-cloudtrail';
import { GetRolePolicyCommand, type IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeKeyCommand, GetKeyPolicyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { BREAK_GLASS_SID_PREFIX, type PolicyDocumentJson, type PolicyStatementJson, SID, type SensitiveExpectations, normalizePolicy } from 'retention-kit/policy';
import { checkTableLocks, sensitiveTables } from './table-lock';

export interface ReviewClients {
  readonly backup: BackupClient;
  readonly kms: KMSClient;
  readonly iam: IAMClient;
  readonly cloudtrail: CloudTrailClient;
  /** For the sensitive tables' locks (environment side). */
  readonly dynamodb?: DynamoDBClient;
}

export interface Drift {
  readonly where: string;
  readonly sid: string;
  readonly problem: string;
}

export interface EventSummary {
  readonly who: string;
  readonly what: string;
  readonly count: number;
  readonly denied: number;
  readonly last: Date;
}

export interface SensitiveReview {
  readonly expectations: SensitiveExpectations;
  readonly keyArn: string;
  readonly whoCan: { readonly what: string; readonly who: string }[];
  readonly whoDid: EventSummary[];
  readonly drift: Drift[];
  /** The sensitive tables whose locks were checked. */
  readonly tables: string[];
  readonly days: number;
  readonly generatedAt: Date;
}

const same = (a: unknown, b: unknown) => JSON.stringify(normalizePolicy(a)) === JSON.stringify(normalizePolicy(b));

/** The key administration statement every CDK key policy starts with: expected, not drift. */
function isAccountAdministration(statement: PolicyStatementJson, account: string): boolean {
  const principal = JSON.stringify(normalizePolicy(statement.Principal));
  return statement.Effect === 'Allow' && principal === JSON.stringify({ AWS: `arn:aws:iam::${account}:root` }) && JSON.stringify(normalizePolicy(statement.Action)) === '"kms:*"';
}

/** Differences between the statements the code deploys and the live ones, by Sid. */
export function policyDrift(where: string, expected: PolicyStatementJson[], live: PolicyStatementJson[], account: string): Drift[] {
  const drift: Drift[] = [];
  for (const statement of expected) {
    const found = live.find((s) => s.Sid === statement.Sid);
    if (!found) drift.push({ where, sid: statement.Sid ?? '(no Sid)', problem: 'missing: the deployed statement is gone' });
    else if (!same(found, statement)) drift.push({ where, sid: statement.Sid ?? '(no Sid)', problem: 'changed from what the code deploys' });
  }
  for (const statement of live) {
    if (expected.some((s) => s.Sid === statement.Sid) || isAccountAdministration(statement, account)) continue;
    const sid = statement.Sid ?? '(no Sid)';
    drift.push({
      where,
      sid,
      problem: sid.startsWith(BREAK_GLASS_SID_PREFIX) ? 'break-glass is OPEN (run `retention break-glass close`)' : `added by hand: ${statement.Effect} ${JSON.stringify(normalizePolicy(statement.Action ?? statement.NotAction))}`,
    });
  }
  return drift;
}

function whoCan(vault: PolicyDocumentJson, key: PolicyDocumentJson, account: string): { what: string; who: string }[] {
  const list = (v: unknown) => (Array.isArray(v) ? v.join(', ') : String(v));
  const vaultSid = (sid: string) => vault.Statement.find((s) => s.Sid === sid);
  const open = vault.Statement.find((s) => s.Sid === `${BREAK_GLASS_SID_PREFIX}AllowPrincipal`);
  const restore = open
    ? `only ${list((open.Principal as Record<string, unknown>).AWS)} (break-glass open until ${list(open.Condition?.DateLessThan?.['aws:CurrentTime'])})`
    : vaultSid(SID.denyRestore)
      ? 'nobody: DenyEmergencyRestoreOperations (break-glass closed)'
      : 'any principal IAM allows: no DENY statement';
  const copier = vaultSid(SID.denyCopyOut);
  const copyOut = copier
    ? copier.Condition?.ArnNotEquals
      ? `only ${list(copier.Condition.ArnNotEquals['aws:PrincipalArn'])}`
      : 'nobody'
    : 'any principal IAM allows';
  const targets = vaultSid(SID.denyCopyTargets)?.Condition?.['ForAnyValue:ArnNotLike']?.['backup:CopyTargets'];
  const keyOpen = key.Statement.find((s) => s.Sid === `${BREAK_GLASS_SID_PREFIX}AllowPrincipal`);
  const decrypt = keyOpen
    ? `AWS Backup, and ${list((keyOpen.Principal as Record<string, unknown>).AWS)} (break-glass open)`
    : key.Statement.some((s) => s.Sid === SID.denyKeyDecrypt)
      ? 'only through AWS Backup: DenySSNKeyDecryptOperations'
      : 'any principal the key policy and IAM allow';
  return [
    { what: 'Restore from the vault', who: restore },
    { what: 'Copy recovery points out', who: `${copyOut}${targets ? `, to ${list(targets)}` : ''}` },
    { what: 'Decrypt with the key', who: decrypt },
    { what: 'Change the vault access policy or the key policy', who: `IAM principals of account ${account} allowed backup:PutBackupVaultAccessPolicy or kms:PutKeyPolicy (the key policy delegates to the account)` },
  ];
}

async function whoDid(cloudtrail: CloudTrailClient, resourceNames: string[], days: number, now: Date): Promise<EventSummary[]> {
  const groups = new Map<string, { who: string; what: string; count: number; denied: number; last: Date }>();
  const seen = new Set<string>();
  const start = new Date(now.getTime() - days * 86_400_000);
  for (const name of resourceNames) {
    for await (const page of paginateLookupEvents({ client: cloudtrail }, { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: name }], StartTime: start, EndTime: now })) {
      for (const event of page.Events ?? []) {
        if (event.EventId && seen.has(event.EventId)) continue;
        if (event.EventId) seen.add(event.EventId);
        const record = event.CloudTrailEvent ? (JSON.parse(event.CloudTrailEvent) as { userIdentity?: { arn?: string }; errorCode?: string }) : {};
        const who = record.userIdentity?.arn ?? event.Username ?? 'unknown';
        const what = event.EventName ?? 'unknown';
        const key = `${who}\u0000${what}`;
        const group = groups.get(key) ?? { who, what, count: 0, denied: 0, last: new Date(0) };
        group.count++;
        if (record.errorCode) group.denied++;
        if (event.EventTime && event.EventTime > group.last) group.last = event.EventTime;
        groups.set(key, group);
      }
    }
  }
  return [...groups.values()].sort((a, b) => b.last.getTime() - a.last.getTime());
}

export interface ReviewOptions {
  readonly days?: number;
  readonly now?: Date;
  /** Sensitive tables to check, by name or ARN. Default: the tables tagged with a sensitive category. */
  readonly tables?: readonly string[];
}

export async function reviewSensitive(clients: ReviewClients, expectations: SensitiveExpectations, options: ReviewOptions = {}): Promise<SensitiveReview> {
  const now = options.now ?? new Date();
  const days = options.days ?? 90;
  const vaultResponse = await clients.backup.send(new GetBackupVaultAccessPolicyCommand({ BackupVaultName: expectations.vaultName }));
  const vault = JSON.parse(vaultResponse.Policy ?? '{"Statement":[]}') as PolicyDocumentJson;
  const described = await clients.kms.send(new DescribeKeyCommand({ KeyId: expectations.keyId }));
  const keyArn = described.KeyMetadata?.Arn ?? expectations.keyId;
  const key = JSON.parse((await clients.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }))).Policy ?? '{"Statement":[]}') as PolicyDocumentJson;

  const drift = [
    ...policyDrift(`vault ${expectations.vaultName}`, expectations.vaultStatements, vault.Statement, expectations.account),
    ...policyDrift(`key ${keyArn}`, expectations.keyStatements(keyArn), key.Statement, expectations.account),
  ];
  const resourceNames = [expectations.vaultName, keyArn];
  if (expectations.role) {
    const { name, inlinePolicyName } = expectations.role;
    resourceNames.push(name);
    const attached = await clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }));
    for (const policy of attached.AttachedPolicies ?? []) {
      drift.push({ where: `role ${name}`, sid: policy.PolicyName ?? '?', problem: `managed policy ${policy.PolicyArn} attached by hand: the sensitive role has none` });
    }
    const inline = await clients.iam.send(new ListRolePoliciesCommand({ RoleName: name }));
    if (!(inline.PolicyNames ?? []).includes(inlinePolicyName)) {
      drift.push({ where: `role ${name}`, sid: inlinePolicyName, problem: 'missing: the inline policy with the DENY of batch and restore is gone' });
    } else {
      const document = await clients.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: inlinePolicyName }));
      // IAM returns policy documents URL-encoded.
      const live = JSON.parse(decodeURIComponent(document.PolicyDocument ?? '%7B%7D')) as PolicyDocumentJson;
      drift.push(...policyDrift(`role ${name}`, expectations.role.statements(keyArn), live.Statement ?? [], expectations.account));
    }
  }
  let tables: string[] = [];
  if (clients.dynamodb && expectations.sensitiveCategories) {
    tables = options.tables ? [...options.tables] : await sensitiveTables(clients.dynamodb, expectations.sensitiveCategories);
    for (const problem of await checkTableLocks(clients.dynamodb, tables, expectations.account)) {
      drift.push({ where: `table ${problem.table}`, sid: problem.action, problem: problem.problem });
    }
  }
  return {
    expectations,
    keyArn,
    tables,
    whoCan: whoCan(vault, key, expectations.account),
    whoDid: await whoDid(clients.cloudtrail, resourceNames, days, now),
    drift,
    days,
    generatedAt: now,
  };
}

export function reviewMarkdown(review: SensitiveReview): string {
  const { expectations: e } = review;
  const lines = [
    `# Sensitive path access review: ${e.side} ${e.account}, ${e.region}`,
    '',
    `Generated ${review.generatedAt.toISOString()} by \`retention review sensitive\`. Vault \`${e.vaultName}\`, key \`${review.keyArn}\`${e.role ? `, role \`${e.role.name}\`` : ''}.`,
    '',
    '## Who can',
    '',
    '| access | who |',
    '|---|---|',
    ...review.whoCan.map((w) => `| ${w.what} | ${w.who} |`),
    '',
    `## Who did (last ${review.days} days of CloudTrail)`,
    '',
  ];
  if (review.whoDid.length === 0) lines.push('No recorded calls on the vault, the key or the role.');
  else {
    lines.push('| who | call | times | refused | last |', '|---|---|---|---|---|');
    for (const s of review.whoDid) lines.push(`| ${s.who} | ${s.what} | ${s.count} | ${s.denied} | ${s.last.toISOString()} |`);
  }
  lines.push('', '## Drift from what the code deploys', '');
  if (review.tables.length > 0) lines.push(`Sensitive tables checked: ${review.tables.map((t) => `\`${t}\``).join(', ')}.`, '');
  if (review.drift.length === 0) lines.push(`None: the live vault, key and role policies are the deployed ones${review.tables.length > 0 ? ", and every table lock denies what the classification limits" : ''}.`);
  else {
    lines.push('| where | statement | problem |', '|---|---|---|');
    for (const d of review.drift) lines.push(`| ${d.where} | ${d.sid} | ${d.problem} |`);
  }
  lines.push('', 'Reviewed by: ______________________  Date: ____________', '');
  return lines.join('\n');
}
