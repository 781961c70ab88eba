/**
 * Opening and closing break-glass on a live sensitive vault and key, and on the trust of the
 * break-glass roles named with them, through the AWS SDK. The
 * policy edits are the pure functions of src/policy/break-glass.ts; this module only fetches,
 * saves, puts, verifies and writes the audit line.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type BackupClient, GetBackupVaultAccessPolicyCommand, PutBackupVaultAccessPolicyCommand } from '@aws-sdk/client-backup';
import { GetKeyPolicyCommand, type KMSClient, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { GetRoleCommand, type IAMClient, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { type BreakGlassGrant, BreakGlassError, type PolicyDocumentJson, grantProblems, isOpen, openPolicy, samePolicy } from 'retention-kit/policy';

export interface BreakGlassClients {
  readonly backup: BackupClient;
  readonly kms: KMSClient;
  readonly sts: STSClient;
  /** Needed when the target names roles. */
  readonly iam?: IAMClient;
}

export interface BreakGlassTarget {
  /** Name of the sensitive backup vault. */
  readonly vaultName: string;
  /** Key id, key ARN or alias of the vault's key. */
  readonly keyId: string;
  /**
   * Names of break-glass roles (BreakGlassRole) whose trust admits the principal for the window.
   * @default none
   */
  readonly roleNames?: readonly string[];
  /**
   * Open the backup account's sensitive vault for a copy back to a standby (the principal, the
   * failover access role, may start copies) instead of for restore and decrypt; the key is left as it is.
   * @default false
   */
  readonly copyBack?: boolean;
}

/** What `open` saves so that `close` can put the deployed policies back exactly. */
export interface BreakGlassState {
  readonly target: BreakGlassTarget;
  readonly openedAt: string;
  readonly openedBy: string;
  readonly reason: string;
  readonly grant: BreakGlassGrant;
  readonly original: { readonly vaultPolicy: PolicyDocumentJson; readonly keyPolicy: PolicyDocumentJson; readonly trustPolicies?: Record<string, PolicyDocumentJson> };
}

export interface AuditRecord {
  readonly time: string;
  readonly action: 'break-glass-open' | 'break-glass-close';
  readonly actor: string;
  readonly vault: string;
  readonly key: string;
  readonly principal: string;
  readonly reason: string;
  readonly notAfter: string;
  /** The break-glass roles whose trust was opened or closed. */
  readonly roles?: readonly string[];
}

export interface BreakGlassFiles {
  /** Where the original policies are saved while break-glass is open. */
  readonly stateFile: string;
  /** JSON Lines file that receives one audit record per open and close. */
  readonly auditLog: string;
}

const KEY_POLICY_NAME = 'default';

async function currentPolicies(clients: BreakGlassClients, target: BreakGlassTarget): Promise<{ vaultPolicy: PolicyDocumentJson; keyPolicy: PolicyDocumentJson }> {
  const vault = await clients.backup.send(new GetBackupVaultAccessPolicyCommand({ BackupVaultName: target.vaultName }));
  const key = await clients.kms.send(new GetKeyPolicyCommand({ KeyId: target.keyId, PolicyName: KEY_POLICY_NAME }));
  if (!vault.Policy) throw new BreakGlassError(`backup vault ${target.vaultName} has no access policy: it is not the vault this toolkit deployed`);
  if (!key.Policy) throw new BreakGlassError(`key ${target.keyId} returned no policy`);
  return { vaultPolicy: JSON.parse(vault.Policy) as PolicyDocumentJson, keyPolicy: JSON.parse(key.Policy) as PolicyDocumentJson };
}

async function putPolicies(clients: BreakGlassClients, target: BreakGlassTarget, policies: { vaultPolicy: PolicyDocumentJson; keyPolicy: PolicyDocumentJson }) {
  await clients.backup.send(new PutBackupVaultAccessPolicyCommand({ BackupVaultName: target.vaultName, Policy: JSON.stringify(policies.vaultPolicy) }));
  await clients.kms.send(new PutKeyPolicyCommand({ KeyId: target.keyId, PolicyName: KEY_POLICY_NAME, Policy: JSON.stringify(policies.keyPolicy) }));
}

/** The name of the inline policy `close` puts on a break-glass role to revoke the sessions issued before it. */
export const REVOKE_SESSIONS_POLICY_NAME = 'BreakGlassRevokeOlderSessions';

function iamOf(clients: BreakGlassClients): IAMClient {
  if (!clients.iam) throw new BreakGlassError('roles were named, but no IAM client was given');
  return clients.iam;
}

async function currentTrusts(clients: BreakGlassClients, roleNames: readonly string[]): Promise<Record<string, PolicyDocumentJson>> {
  const trusts: Record<string, PolicyDocumentJson> = {};
  for (const name of roleNames) {
    const { Role } = await iamOf(clients).send(new GetRoleCommand({ RoleName: name }));
    if (!Role?.AssumeRolePolicyDocument) throw new BreakGlassError(`role ${name} returned no trust policy`);
    // IAM returns the document URL-encoded.
    trusts[name] = JSON.parse(decodeURIComponent(Role.AssumeRolePolicyDocument)) as PolicyDocumentJson;
  }
  return trusts;
}

async function putTrusts(clients: BreakGlassClients, trusts: Record<string, PolicyDocumentJson>): Promise<void> {
  for (const [name, trust] of Object.entries(trusts)) await iamOf(clients).send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: JSON.stringify(trust) }));
}

/** AWS's way to end the sessions a role issued before a time: deny everything to tokens issued earlier. */
export function revokeOlderSessionsPolicy(before: Date): PolicyDocumentJson {
  const time = before.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { Version: '2012-10-17', Statement: [{ Sid: 'RevokeSessionsIssuedBeforeBreakGlassClosed', Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': time } } }] };
}

function writeJsonAtomically(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

function audit(file: string, record: AuditRecord): AuditRecord {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(record)}\n`);
  return record;
}

async function actor(clients: BreakGlassClients): Promise<string> {
  const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
  return identity.Arn ?? 'unknown';
}

/**
 * Opens restore and decrypt for one principal until a time: saves the deployed policies, puts the
 * opened ones, and writes an audit record. Refuses without a reason, with a bad grant, when a saved
 * state already exists (break-glass is open), or when the live policies are not the deployed ones.
 */
export async function openBreakGlass(
  clients: BreakGlassClients,
  target: BreakGlassTarget,
  grant: BreakGlassGrant,
  reason: string,
  files: BreakGlassFiles,
  now = new Date(),
): Promise<AuditRecord> {
  const problems = grantProblems(grant, now);
  if (!reason || reason.trim().length < 10) problems.push('give a reason of at least 10 characters (the incident and why restore is needed)');
  if (problems.length > 0) throw new BreakGlassError(`break-glass not opened:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  if (existsSync(files.stateFile)) {
    throw new BreakGlassError(`break-glass state ${files.stateFile} exists: it is already open (close it first, or remove the file if you closed it by hand)`);
  }
  const roleNames = target.roleNames ?? [];
  const original = { ...(await currentPolicies(clients, target)), ...(roleNames.length > 0 ? { trustPolicies: await currentTrusts(clients, roleNames) } : {}) };
  const trusts = Object.entries(original.trustPolicies ?? {});
  if (isOpen(original.vaultPolicy) || isOpen(original.keyPolicy) || trusts.some(([, trust]) => isOpen(trust))) {
    throw new BreakGlassError('the live policies already carry break-glass statements; close before opening again');
  }
  // A copy back needs no decrypt outside AWS Backup, which the key already allows.
  const opened = target.copyBack
    ? { vaultPolicy: openPolicy('copy', original.vaultPolicy, grant), keyPolicy: original.keyPolicy }
    : { vaultPolicy: openPolicy('vault', original.vaultPolicy, grant), keyPolicy: openPolicy('key', original.keyPolicy, grant) };
  const openedTrusts = Object.fromEntries(trusts.map(([name, trust]) => [name, openPolicyOf('trust', `role ${name}`, trust, grant)]));
  const openedBy = await actor(clients);
  // Saved before any change, so a failure halfway leaves what close needs.
  const state: BreakGlassState = { target, openedAt: now.toISOString(), openedBy, reason: reason.trim(), grant, original };
  writeJsonAtomically(files.stateFile, state);
  await putPolicies(clients, target, opened);
  await putTrusts(clients, openedTrusts);
  return audit(files.auditLog, {
    time: now.toISOString(),
    action: 'break-glass-open',
    actor: openedBy,
    vault: target.vaultName,
    key: target.keyId,
    principal: grant.principalArn,
    reason: state.reason,
    notAfter: grant.notAfter,
    ...(roleNames.length > 0 ? { roles: [...roleNames] } : {}),
  });
}

/** openPolicy, with the policy's owner named when it is not the one this toolkit deployed. */
function openPolicyOf(kind: 'trust', owner: string, policy: PolicyDocumentJson, grant: BreakGlassGrant): PolicyDocumentJson {
  try {
    return openPolicy(kind, policy, grant);
  } catch (e) {
    throw new BreakGlassError(`${owner}: ${(e as Error).message}; is it a BreakGlassRole?`);
  }
}

/**
 * Puts the saved policies back, reads them again and checks they are what was saved; only then
 * removes the saved state (renamed, kept as evidence) and writes the audit record.
 */
export async function closeBreakGlass(clients: BreakGlassClients, files: BreakGlassFiles, now = new Date()): Promise<AuditRecord> {
  if (!existsSync(files.stateFile)) throw new BreakGlassError(`no break-glass state at ${files.stateFile}: nothing to close from here`);
  const state = JSON.parse(readFileSync(files.stateFile, 'utf8')) as BreakGlassState;
  const trusts = state.original.trustPolicies ?? {};
  await putTrusts(clients, trusts);
  // Sessions an operator began inside the window end now, not when they expire.
  for (const name of Object.keys(trusts)) {
    await iamOf(clients).send(new PutRolePolicyCommand({ RoleName: name, PolicyName: REVOKE_SESSIONS_POLICY_NAME, PolicyDocument: JSON.stringify(revokeOlderSessionsPolicy(now)) }));
  }
  await putPolicies(clients, state.target, state.original);
  const after = await currentPolicies(clients, state.target);
  const afterTrusts = await currentTrusts(clients, Object.keys(trusts));
  const mismatched = [
    ...(samePolicy(after.vaultPolicy, state.original.vaultPolicy) ? [] : [`vault ${state.target.vaultName}`]),
    ...(samePolicy(after.keyPolicy, state.original.keyPolicy) ? [] : [`key ${state.target.keyId}`]),
    ...Object.keys(trusts).filter((name) => !samePolicy(afterTrusts[name], trusts[name])).map((name) => `the trust of role ${name}`),
  ];
  if (mismatched.length > 0) {
    throw new BreakGlassError(`closed, but the live policy of ${mismatched.join(' and ')} differs from the saved one; the state file is kept: check and close again`);
  }
  renameSync(files.stateFile, `${files.stateFile}.closed-${now.toISOString().replace(/[:.]/g, '-')}`);
  return audit(files.auditLog, {
    time: now.toISOString(),
    action: 'break-glass-close',
    actor: await actor(clients),
    vault: state.target.vaultName,
    key: state.target.keyId,
    principal: state.grant.principalArn,
    reason: state.reason,
    notAfter: state.grant.notAfter,
    ...(Object.keys(trusts).length > 0 ? { roles: Object.keys(trusts) } : {}),
  });
}
