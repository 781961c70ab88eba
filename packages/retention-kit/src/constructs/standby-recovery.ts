import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  COPY_BACK_ROLE_NAME,
  DEFAULT_RECOVERY_VAULT_NAME,
  copyTargetDenyStatements,
  defaultSensitiveRecoveryVaultName,
  destinationKeyUseStatements,
  destinationVaultCopyStatements,
  sensitiveKeyDenyStatement,
  sensitiveVaultDenyStatements,
} from '../policy';
import { backupInfrastructureOf } from './backup-infrastructure';
import { EncryptedBackupVault } from './encrypted-backup-vault';
import { statements } from './statements';

/** Properties of a standby's recovery vaults. */
export interface StandbyRecoveryProps {
  /**
   * The vault that receives recovery points copied back from the backup account: the name the
   * backup account's `standby_recovery` entry gives.
   * @default RetentionRecoveryVault
   */
  readonly recoveryVaultName?: string;
  /**
   * The vault that receives sensitive recovery points (copied back only under break-glass).
   * @default `<recoveryVaultName>-SSN`
   */
  readonly sensitiveRecoveryVaultName?: string;
}

/**
 * The standby's side of the copy back from the backup account: a recovery vault, and one for
 * sensitive recovery points, each with its own key. Only the backup account copies in (its copy-back
 * role, inside the organization); nothing copies out; the sensitive one denies restore and its key
 * denies decrypt outside AWS Backup, like every sensitive vault, until break-glass opens them. Deployed
 * with the app in the standby's account and Region.
 */
export class StandbyRecovery extends Construct {
  /** The recovery vault and its key. */
  readonly recoveryVault: EncryptedBackupVault;
  /** The recovery vault of sensitive recovery points and its key. */
  readonly sensitiveRecoveryVault: EncryptedBackupVault;

  constructor(scope: Construct, id: string, props: StandbyRecoveryProps = {}) {
    super(scope, id);
    const { policy } = backupInfrastructureOf(this);
    const region = Stack.of(this).region;
    if (!policy.backupAccountId || !policy.organizationId) {
      this.node.addValidation({ validate: () => ['a standby recovery vault admits copies from the backup account only: set backup_account_id and organization_id in the retention policy'] });
    }
    const backupAccountId = policy.backupAccountId ?? '';
    const organizationId = policy.organizationId ?? '';
    const name = props.recoveryVaultName ?? DEFAULT_RECOVERY_VAULT_NAME;
    const copyIn = destinationVaultCopyStatements({ sourceAccountIds: [backupAccountId], organizationId });
    const keyUse = destinationKeyUseStatements({ sources: [{ accountId: backupAccountId, roleNames: [COPY_BACK_ROLE_NAME] }], organizationId, backupRegion: region });
    // A recovery vault is where copies end: none leaves it.
    const noCopyOut = copyTargetDenyStatements([]);
    this.recoveryVault = new EncryptedBackupVault(this, 'RecoveryVault', {
      vaultName: name,
      keyDescription: `Encrypts recovery points copied back from the backup account into ${name}`,
      accessPolicyStatements: statements(...copyIn, ...noCopyOut),
      keyPolicyStatements: statements(...keyUse),
    });
    const sensitiveName = props.sensitiveRecoveryVaultName ?? defaultSensitiveRecoveryVaultName(name);
    this.sensitiveRecoveryVault = new EncryptedBackupVault(this, 'SensitiveRecoveryVault', {
      vaultName: sensitiveName,
      keyDescription: `Encrypts sensitive recovery points copied back into ${sensitiveName}; decrypt only through AWS Backup (break-glass)`,
      accessPolicyStatements: statements(...copyIn, ...sensitiveVaultDenyStatements({ copyRoleArns: [] }), ...noCopyOut),
      keyPolicyStatements: statements(...keyUse, sensitiveKeyDenyStatement({ region })),
    });
  }
}
