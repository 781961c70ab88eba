import { Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { VAULT_TAG, type VaultLockConfig, VaultLockMode, defaultKeyAlias } from '../policy';

/** Properties of an encrypted backup vault. */
export interface EncryptedBackupVaultProps {
  /** Name of the backup vault. */
  readonly vaultName: string;
  /**
   * Alias of the vault's customer-managed key, with or without the `alias/` prefix.
   * @default `alias/<vaultName>-key`
   */
  readonly keyAlias?: string;
  /**
   * Description of the key, shown in the KMS console.
   * @default names the vault
   */
  readonly keyDescription?: string;
  /**
   * Statements of the vault's access policy (for example the break-glass DENY statements).
   * @default no access policy
   */
  readonly accessPolicyStatements?: iam.PolicyStatement[];
  /**
   * Extra statements for the key policy, added after the account-admin statement.
   * @default none
   */
  readonly keyPolicyStatements?: iam.PolicyStatement[];
  /**
   * AWS Backup Vault Lock. Governance mode can be removed by principals allowed to; compliance mode
   * becomes immutable after `changeableForDays`.
   * @default no vault lock
   */
  readonly vaultLock?: VaultLockConfig;
  /**
   * What happens to the vault and key when the stack is deleted. Recovery points outlive stacks,
   * so both are kept by default.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** An AWS Backup vault with its own customer-managed KMS key, rotation on. */
export class EncryptedBackupVault extends Construct {
  /** The vault. */
  readonly vault: backup.BackupVault;
  /** The vault's customer-managed key. */
  readonly key: kms.Key;
  /** The vault's name. */
  readonly vaultName: string;

  constructor(scope: Construct, id: string, props: EncryptedBackupVaultProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const alias = props.keyAlias ?? defaultKeyAlias(props.vaultName);
    this.vaultName = props.vaultName;
    this.key = new kms.Key(this, 'Key', {
      alias: alias.startsWith('alias/') ? alias : `alias/${alias}`,
      description: props.keyDescription ?? `Encrypts recovery points in the ${props.vaultName} backup vault`,
      enableKeyRotation: true,
      removalPolicy,
    });
    // Roles in other accounts name this key by its vault: its ID is made at deployment.
    Tags.of(this.key).add(VAULT_TAG, props.vaultName);
    for (const statement of props.keyPolicyStatements ?? []) {
      this.key.addToResourcePolicy(statement);
    }
    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: props.vaultName,
      encryptionKey: this.key,
      removalPolicy,
      lockConfiguration: props.vaultLock && {
        minRetention: Duration.days(props.vaultLock.minRetentionDays),
        maxRetention: Duration.days(props.vaultLock.maxRetentionDays),
        changeableFor: props.vaultLock.mode === VaultLockMode.COMPLIANCE && props.vaultLock.changeableForDays !== undefined ? Duration.days(props.vaultLock.changeableForDays) : undefined,
      },
      accessPolicy: props.accessPolicyStatements?.length
        ? new iam.PolicyDocument({ statements: props.accessPolicyStatements })
        : undefined,
    });
  }
}
