/**
 * How to restore from a logically air-gapped vault, as AWS documents it, with the vault's own ARNs
 * filled in: in the account that owns the vault; from a recovery account the vault is shared with
 * through AWS RAM; or, when the owning account is unreachable, through a restore access backup vault
 * that a multi-party approval team approves. Pure: the steps are printed, nothing is called.
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html
 */
import { parseBackupVaultArn } from 'retention-kit/policy';

export interface AirGappedRestoreRequest {
  /** ARN of the logically air-gapped vault. */
  vaultArn: string;
  /** The account to restore in, when it is not the vault's own. */
  recoveryAccount?: string;
  /** The owning account is unreachable: use multi-party approval and a restore access backup vault. */
  multiPartyApproval?: boolean;
}

export interface RestoreStep {
  /** The account the step runs in. */
  account: string;
  what: string;
  command: string;
}

export function airGappedRestoreSteps(request: AirGappedRestoreRequest): RestoreStep[] {
  const vault = parseBackupVaultArn(request.vaultArn);
  if (!vault) throw new Error(`${JSON.stringify(request.vaultArn)} is not a backup vault ARN; expected arn:aws:backup:<region>:<account>:backup-vault:<name>`);
  const region = `--region ${vault.region}`;
  const recovery = request.recoveryAccount ?? vault.account;
  const restore = (account: string, vaultRef: string): RestoreStep[] => [
    {
      account,
      what: 'Choose the recovery point (newest first) and read its restore metadata',
      command: `aws backup list-recovery-points-by-backup-vault --backup-vault-name ${vaultRef} ${region} --query 'reverse(sort_by(RecoveryPoints,&CreationDate))[].[RecoveryPointArn,ResourceArn,CreationDate]'\naws backup get-recovery-point-restore-metadata --backup-vault-name ${vaultRef} --recovery-point-arn <recovery point ARN> ${region}`,
    },
    {
      account,
      what: 'Restore it (the role needs the AWS Backup restore policies for the resource type)',
      command: `aws backup start-restore-job --recovery-point-arn <recovery point ARN> --iam-role-arn arn:aws:iam::${account}:role/<restore role> --metadata file://metadata.json ${region}`,
    },
  ];
  if (recovery === vault.account && !request.multiPartyApproval) return restore(vault.account, vault.vaultName);
  if (request.multiPartyApproval) {
    return [
      {
        account: recovery,
        what: 'Request restore access: creates a restore access backup vault, pending approval by the vault\'s multi-party approval team',
        command: `aws backup create-restore-access-backup-vault --source-backup-vault-arn ${request.vaultArn} --requester-comment "<incident and reason>" ${region}`,
      },
      {
        account: recovery,
        what: 'Wait until the approval team has approved (VaultState AVAILABLE)',
        command: `aws backup list-restore-access-backup-vaults --backup-vault-name ${vault.vaultName} ${region}`,
      },
      ...restore(recovery, '<restore access backup vault name>'),
      {
        account: recovery,
        what: 'Revoke the temporary access when the restore is done',
        command: `aws backup revoke-restore-access-backup-vault --backup-vault-name ${vault.vaultName} --restore-access-backup-vault-arn <restore access backup vault ARN> --requester-comment "restore done" ${region}`,
      },
    ];
  }
  return [
    {
      account: vault.account,
      what: `Share the vault with the recovery account ${recovery} through AWS RAM`,
      command: `aws ram create-resource-share --name ${vault.vaultName}-restore --resource-arns ${request.vaultArn} --principals ${recovery} ${region}`,
    },
    {
      account: recovery,
      what: 'Accept the share (not needed inside an organization with RAM sharing turned on)',
      command: `aws ram get-resource-share-invitations ${region}\naws ram accept-resource-share-invitation --resource-share-invitation-arn <invitation ARN> ${region}`,
    },
    ...restore(recovery, request.vaultArn),
    {
      account: vault.account,
      what: 'Remove the share when the restore is done',
      command: `aws ram delete-resource-share --resource-share-arn <resource share ARN> ${region}`,
    },
  ];
}
