import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupClient, GetBackupVaultAccessPolicyCommand, PutBackupVaultAccessPolicyCommand } from '@aws-sdk/client-backup';
import { CreateRoleCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateKeyCommand, GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BreakGlassGrant, type PolicyDocumentJson, closedTrustPolicy, openPolicy, policyDocument, sensitiveKeyDenyStatement, sensitiveVaultDenyStatements } from 'retention-kit/policy';
import { REVOKE_SESSIONS_POLICY_NAME, closeBreakGlass, openBreakGlass } from '../../packages/retention-kit-cli/src/runtime/break-glass';
import { tempDir } from '../support/apps';
import { assumeRole } from '../support/iam';
import { MOTO_ACCOUNT, type MotoServer, motoClientConfig, startMoto } from '../support/servers';

const ROLE = 'CompactConnect-SSNRecoveryRole';
const OPERATOR = `arn:aws:iam::${MOTO_ACCOUNT}:role/DisasterRecoveryOperator`;
const ADMINISTRATOR = `arn:aws:iam::${MOTO_ACCOUNT}:role/Administrator`;
const now = new Date('2026-12-06T10:00:00Z');
const grant: BreakGlassGrant = { principalArn: OPERATOR, notBefore: '2026-12-06T10:00:00Z', notAfter: '2026-12-06T14:00:00Z' };
const REASON = 'INC-2001: SSN table lost, hydrating the standby as the recovery role';

const backupMock = mockClient(BackupClient);

describe('break-glass on a recovery role (IAM, STS and KMS on moto; AWS Backup vault policies mocked: moto does not implement them)', () => {
  let moto: MotoServer;
  let clients: { backup: BackupClient; kms: KMSClient; sts: STSClient; iam: IAMClient };
  let files: { stateFile: string; auditLog: string };
  let keyId: string;
  const liveTrust = async () => JSON.parse(decodeURIComponent((await clients.iam.send(new GetRoleCommand({ RoleName: ROLE }))).Role!.AssumeRolePolicyDocument!)) as PolicyDocumentJson;
  const assume = async (principal: string, time: string) => assumeRole(principal, `arn:aws:iam::${MOTO_ACCOUNT}:role/${ROLE}`, await liveTrust(), { 'aws:CurrentTime': time });

  beforeAll(async () => {
    moto = await startMoto();
    const config = motoClientConfig(moto.endpoint);
    clients = { backup: new BackupClient(config), kms: new KMSClient(config), sts: new STSClient(config), iam: new IAMClient(config) };
  });
  afterAll(async () => moto?.stop());

  beforeEach(async () => {
    await moto.reset();
    backupMock.reset();
    const vault = { policy: JSON.stringify(policyDocument(...sensitiveVaultDenyStatements({ copyRoleArns: [] }))) };
    backupMock.on(GetBackupVaultAccessPolicyCommand).callsFake(() => ({ Policy: vault.policy }));
    backupMock.on(PutBackupVaultAccessPolicyCommand).callsFake((input: { Policy: string }) => {
      vault.policy = input.Policy;
      return {};
    });
    const keyPolicy = policyDocument(
      { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
      sensitiveKeyDenyStatement({ region: 'us-east-1' }),
    );
    keyId = (await clients.kms.send(new CreateKeyCommand({ Policy: JSON.stringify(keyPolicy) }))).KeyMetadata!.KeyId!;
    await clients.iam.send(new CreateRoleCommand({ RoleName: ROLE, AssumeRolePolicyDocument: JSON.stringify(closedTrustPolicy()) }));
    const dir = tempDir('break-glass-role');
    files = { stateFile: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') };
  });

  it('opens the trust for the operator and the window only, and close puts it back, revokes the sessions and audits both', async () => {
    expect(await assume(OPERATOR, '2026-12-06T11:00:00Z')).not.toBe('Allowed');
    const opened = await openBreakGlass(clients, { vaultName: 'Vault-SSN', keyId, roleNames: [ROLE] }, grant, REASON, files, now);
    expect(opened.roles).toEqual([ROLE]);
    expect(await liveTrust()).toEqual(openPolicy('trust', closedTrustPolicy(), grant));
    expect(await assume(OPERATOR, '2026-12-06T11:00:00Z')).toBe('Allowed');
    expect(await assume(ADMINISTRATOR, '2026-12-06T11:00:00Z')).toBe('ExplicitlyDenied');
    expect(await assume(OPERATOR, '2026-12-06T15:00:00Z')).toBe('ExplicitlyDenied');
    expect(JSON.parse(readFileSync(files.stateFile, 'utf8')).original.trustPolicies).toEqual({ [ROLE]: closedTrustPolicy() });

    const closedAt = new Date('2026-12-06T12:30:00Z');
    const closed = await closeBreakGlass(clients, files, closedAt);
    expect(closed.roles).toEqual([ROLE]);
    expect(await liveTrust()).toEqual(closedTrustPolicy());
    expect(await assume(OPERATOR, '2026-12-06T12:31:00Z')).not.toBe('Allowed');
    const revoke = await clients.iam.send(new GetRolePolicyCommand({ RoleName: ROLE, PolicyName: REVOKE_SESSIONS_POLICY_NAME }));
    expect(JSON.parse(decodeURIComponent(revoke.PolicyDocument!)).Statement[0]).toMatchObject({ Effect: 'Deny', Action: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-12-06T12:30:00Z' } } });
    // The key's policy is back as deployed, through the real KMS emulation.
    const key = JSON.parse((await clients.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy!);
    expect(key.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['Enable IAM User Permissions', 'DenySSNKeyDecryptOperations']);
    const audit = readFileSync(files.auditLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit.map((r) => [r.action, r.roles, r.principal])).toEqual([
      ['break-glass-open', [ROLE], OPERATOR],
      ['break-glass-close', [ROLE], OPERATOR],
    ]);
  });

  it('refuses a role whose trust is not a BreakGlassRole\'s, before changing anything', async () => {
    await clients.iam.send(new CreateRoleCommand({ RoleName: 'Ordinary', AssumeRolePolicyDocument: JSON.stringify(policyDocument({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' })) }));
    await expect(openBreakGlass(clients, { vaultName: 'Vault-SSN', keyId, roleNames: ['Ordinary'] }, grant, REASON, files, now)).rejects.toThrow(/role Ordinary: .*DenyAssumeOutsideBreakGlass.*is it a BreakGlassRole/);
    expect(backupMock.commandCalls(PutBackupVaultAccessPolicyCommand)).toHaveLength(0);
    expect(await liveTrust()).toEqual(closedTrustPolicy());
  });
});
