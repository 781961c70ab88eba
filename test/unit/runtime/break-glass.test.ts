import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BackupClient, GetBackupVaultAccessPolicyCommand, PutBackupVaultAccessPolicyCommand } from '@aws-sdk/client-backup';
import { GetKeyPolicyCommand, KMSClient, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type BreakGlassGrant, type PolicyDocumentJson, openPolicy, policyDocument, sensitiveKeyDenyStatement, sensitiveVaultDenyStatements } from 'retention-kit/policy';
import { closeBreakGlass, openBreakGlass } from '../../../packages/retention-kit-cli/src/runtime/break-glass';
import { tempDir } from '../../support/apps';

const backupMock = mockClient(BackupClient);
const kmsMock = mockClient(KMSClient);
const stsMock = mockClient(STSClient);
const clients = { backup: new BackupClient({ region: 'us-west-2' }), kms: new KMSClient({ region: 'us-west-2' }), sts: new STSClient({ region: 'us-west-2' }) };

const target = { vaultName: 'CompactConnectBackupVault-SSN', keyId: 'alias/compactconnect-ssn-backup-key' };
const DEPLOYED_VAULT: PolicyDocumentJson = policyDocument(...sensitiveVaultDenyStatements({ copyRoleArns: [] }));
const DEPLOYED_KEY: PolicyDocumentJson = policyDocument(
  { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::222222222222:root' }, Action: 'kms:*', Resource: '*' },
  sensitiveKeyDenyStatement({ region: 'us-west-2' }),
);
const now = new Date('2026-11-22T10:00:00Z');
const grant: BreakGlassGrant = { principalArn: 'arn:aws:iam::222222222222:role/DisasterRecovery', notBefore: '2026-11-22T10:00:00Z', notAfter: '2026-11-22T14:00:00Z' };
const REASON = 'INC-1234: SSN table lost in us-east-1, restoring into the cold standby';

/** Mocked AWS Backup and KMS that store what is put and return it on get, as the services do. */
function liveServices(vault: PolicyDocumentJson, key: PolicyDocumentJson) {
  const live = { vault: JSON.stringify(vault), key: JSON.stringify(key) };
  backupMock.on(GetBackupVaultAccessPolicyCommand).callsFake(() => ({ Policy: live.vault }));
  backupMock.on(PutBackupVaultAccessPolicyCommand).callsFake((input: { Policy: string }) => {
    live.vault = input.Policy;
    return {};
  });
  kmsMock.on(GetKeyPolicyCommand).callsFake(() => ({ Policy: live.key }));
  kmsMock.on(PutKeyPolicyCommand).callsFake((input: { Policy: string }) => {
    live.key = input.Policy;
    return {};
  });
  stsMock.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:sts::222222222222:assumed-role/Operator/alice' });
  return live;
}

const commandOrder = () =>
  [...backupMock.calls(), ...kmsMock.calls()]
    .sort((a, b) => (a as unknown as { callId: number }).callId - (b as unknown as { callId: number }).callId)
    .map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);

describe('break-glass open and close (AWS Backup, KMS and STS mocked: no local server exists for them)', () => {
  let files: { stateFile: string; auditLog: string };

  beforeEach(() => {
    backupMock.reset();
    kmsMock.reset();
    stsMock.reset();
    const dir = tempDir('break-glass');
    files = { stateFile: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') };
  });

  it("opens a copy back (--copy-back): the vault lets the principal start copies, restore stays denied, the key is left as deployed", async () => {
    const deployedVault = policyDocument(...sensitiveVaultDenyStatements({ copyRoleArns: ['arn:aws:iam::222222222222:role/retention-copy-back'] }));
    const live = liveServices(deployedVault, DEPLOYED_KEY);
    await openBreakGlass(clients, { ...target, copyBack: true }, grant, REASON, files, now);
    expect(JSON.parse(live.vault)).toEqual(openPolicy('copy', deployedVault, grant));
    expect(JSON.parse(live.vault).Statement.find((s: { Sid: string }) => s.Sid === 'DenyEmergencyRestoreOperations').Action).toContain('backup:StartRestoreJob');
    expect(JSON.parse(live.key)).toEqual(DEPLOYED_KEY);
    await closeBreakGlass(clients, files, now);
    expect(JSON.parse(live.vault)).toEqual(deployedVault);
  });

  it('saves the deployed policies, then puts the opened ones, and writes who, why and until when', async () => {
    const live = liveServices(DEPLOYED_VAULT, DEPLOYED_KEY);
    const record = await openBreakGlass(clients, target, grant, REASON, files, now);
    expect(commandOrder()).toEqual(['GetBackupVaultAccessPolicyCommand', 'GetKeyPolicyCommand', 'PutBackupVaultAccessPolicyCommand', 'PutKeyPolicyCommand']);
    expect(JSON.parse(live.vault)).toEqual(openPolicy('vault', DEPLOYED_VAULT, grant));
    expect(JSON.parse(live.key)).toEqual(openPolicy('key', DEPLOYED_KEY, grant));
    const state = JSON.parse(readFileSync(files.stateFile, 'utf8'));
    expect(state.original).toEqual({ vaultPolicy: DEPLOYED_VAULT, keyPolicy: DEPLOYED_KEY });
    expect(record).toEqual({
      time: '2026-11-22T10:00:00.000Z',
      action: 'break-glass-open',
      actor: 'arn:aws:sts::222222222222:assumed-role/Operator/alice',
      vault: target.vaultName,
      key: target.keyId,
      principal: grant.principalArn,
      reason: REASON,
      notAfter: grant.notAfter,
    });
    expect(readFileSync(files.auditLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l))).toEqual([record]);
  });

  it('close puts the saved policies back, verifies them and records it', async () => {
    const live = liveServices(DEPLOYED_VAULT, DEPLOYED_KEY);
    await openBreakGlass(clients, target, grant, REASON, files, now);
    const record = await closeBreakGlass(clients, files, new Date('2026-11-22T12:30:00Z'));
    expect(JSON.parse(live.vault)).toEqual(DEPLOYED_VAULT);
    expect(JSON.parse(live.key)).toEqual(DEPLOYED_KEY);
    expect(record.action).toBe('break-glass-close');
    expect(existsSync(files.stateFile)).toBe(false);
    expect(readdirSync(join(files.stateFile, '..')).some((f) => f.startsWith('state.json.closed-'))).toBe(true);
    expect(readFileSync(files.auditLog, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('refuses without a principal, a reason and an end in the future, before calling AWS', async () => {
    liveServices(DEPLOYED_VAULT, DEPLOYED_KEY);
    await expect(openBreakGlass(clients, target, { ...grant, principalArn: '' }, '', files, now)).rejects.toThrow(/principal "" is not an IAM role or user ARN[\s\S]*give a reason/);
    await expect(openBreakGlass(clients, target, { ...grant, notAfter: '2026-11-22T09:00:00Z' }, REASON, files, now)).rejects.toThrow(/already past/);
    expect(commandOrder()).toEqual([]);
  });

  it('refuses to open twice, and touches nothing when the live policy is not the deployed one', async () => {
    liveServices(DEPLOYED_VAULT, DEPLOYED_KEY);
    await openBreakGlass(clients, target, grant, REASON, files, now);
    await expect(openBreakGlass(clients, target, grant, REASON, files, now)).rejects.toThrow(/already open/);

    backupMock.reset();
    kmsMock.reset();
    liveServices(policyDocument({ Sid: 'SomethingElse', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'backup:*', Resource: '*' }), DEPLOYED_KEY);
    const other = { ...files, stateFile: `${files.stateFile}.other` };
    await expect(openBreakGlass(clients, target, grant, REASON, other, now)).rejects.toThrow(/no DenyEmergencyRestoreOperations statement: .*\(drift\?\)/);
    expect(backupMock.commandCalls(PutBackupVaultAccessPolicyCommand)).toHaveLength(0);
    expect(kmsMock.commandCalls(PutKeyPolicyCommand)).toHaveLength(0);
    expect(existsSync(other.stateFile)).toBe(false);
  });

  it('when the key policy put fails halfway, the saved state lets close restore both', async () => {
    const live = liveServices(DEPLOYED_VAULT, DEPLOYED_KEY);
    kmsMock.on(PutKeyPolicyCommand).rejectsOnce(new Error('AccessDeniedException'));
    await expect(openBreakGlass(clients, target, grant, REASON, files, now)).rejects.toThrow('AccessDeniedException');
    expect(JSON.parse(live.vault)).toEqual(openPolicy('vault', DEPLOYED_VAULT, grant));
    kmsMock.on(PutKeyPolicyCommand).callsFake((input: { Policy: string }) => {
      live.key = input.Policy;
      return {};
    });
    await closeBreakGlass(clients, files, now);
    expect(JSON.parse(live.vault)).toEqual(DEPLOYED_VAULT);
    expect(JSON.parse(live.key)).toEqual(DEPLOYED_KEY);
  });

  it('close keeps the state and says so when the live policy does not match after the put', async () => {
    liveServices(DEPLOYED_VAULT, DEPLOYED_KEY);
    await openBreakGlass(clients, target, grant, REASON, files, now);
    kmsMock.on(GetKeyPolicyCommand).resolves({ Policy: JSON.stringify(policyDocument({ Sid: 'Changed', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:*', Resource: '*' })) });
    await expect(closeBreakGlass(clients, files, now)).rejects.toThrow(/live policy of key alias\/compactconnect-ssn-backup-key differs from the saved one/);
    expect(existsSync(files.stateFile)).toBe(true);
  });
});
