// The public API of the construct library: constructs, stacks, and the policy types they take.
// jsii compiles it, so it is the same for TypeScript, JavaScript and Python. The pure policy
// model (validation, statements, ARNs) is `retention-kit/policy`, for TypeScript and JavaScript.
export { BackupInfrastructureStack, type BackupInfrastructureStackProps } from './stacks/backup-infrastructure-stack';
export { BackupAccountStack, type BackupAccountStackProps } from './stacks/backup-account-stack';
export { OrganizationBackupPolicyStack, type OrganizationBackupPolicyStackProps } from './stacks/organization-backup-policy-stack';
export { type IBackupInfrastructure } from './constructs/backup-infrastructure';
export { Retention } from './constructs/retention';
export { RetentionContext } from './constructs/context';
export { type ProtectOptions, ProtectionCoverageCheck } from './constructs/protection';
export { type SensitiveTableOptions } from './constructs/sensitive-table-lock';
export { type DatabaseOptions } from './constructs/database-protection';
export { CredentialRotation, type DatabaseRotationProps } from './constructs/secrets';
export { BreakGlassRole, type BreakGlassRoleProps } from './constructs/break-glass-role';
export { StandbyRecovery, type StandbyRecoveryProps } from './constructs/standby-recovery';
export { EncryptedBackupVault, type EncryptedBackupVaultProps } from './constructs/encrypted-backup-vault';
export { GeneralBackupRole, type GeneralBackupRoleProps, MalwareScannerRole, type MalwareScannerRoleProps, SensitiveBackupRole, type SensitiveBackupRoleProps } from './constructs/backup-roles';
export { BackupMonitoring, type BackupMonitoringProps, type MonitoredVault, type FreshnessTarget, type SensitiveAuditTargets } from './constructs/backup-monitoring';
export { CognitoUserPoolExport, type CognitoUserPoolExportProps } from './constructs/cognito-user-pool-export';
export { RestoreTesting, type RestoreTestingProps, RestoreTestResource } from './constructs/restore-testing';
export { HydrationStateMachine, type HydrationStateMachineProps } from './constructs/hydration-state-machine';
export { BucketHydrationStateMachine, type BucketHydrationStateMachineProps } from './constructs/bucket-hydration-state-machine';
export { RecoveryBackup, TableRecoveryStateMachine, type TableRecoveryStateMachineProps } from './constructs/table-recovery-state-machine';
export { SensitiveAuditTrail, type SensitiveAuditTrailProps } from './constructs/sensitive-audit-trail';
export { ComplianceEvidence, type ComplianceEvidenceProps } from './constructs/compliance-evidence';
export { type AirGappedDestination, type CategoryPolicy, type CopyDestination, type EscalationSettings, type GeneralAndSensitive, MalwareScanMode, type MonitoringSettings, type OrganizationBackupPolicySettings, type RetentionPolicy, type TagConditions } from './policy/config';
export { type AirGappedVaultConfig, AirGappedVaultEncryption, type BackupAccountConfig, type VaultLockConfig, type VaultLocks, VaultLockMode } from './policy/backup-account-config';
export { type SourceAccount, type SourceOrganizationalUnit, type SourceRoleNames } from './policy/source-accounts';
export { type StandbyTarget } from './policy/standby-recovery';
export { type PlannedRestoreTest, type PlannedSelection, RecoveryPointSelection, RestoreTestResourceType } from './policy/restore-testing';
