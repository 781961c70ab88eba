/** Physical names of the reference app that documents and tests refer to. */

/** The SSN table is named, so that its key's policy can limit DynamoDB's use of the key to this table. */
export const SSN_TABLE_NAME = 'CompactConnect-SSNTable';

/** The SSN table's recovery role, which `retention break-glass open --role` names. */
export const RECOVERY_ROLE_NAME = 'CompactConnect-SSNRecoveryRole';
