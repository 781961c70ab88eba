/**
 * The construct library's public API as jsii compiled it (the `.jsii` assembly `npm run build`
 * writes): curated, and documented the way aws-cdk-lib's is.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Documented {
  name?: string;
  optional?: boolean;
  docs?: { summary?: string; default?: string };
}
interface JsiiType extends Documented {
  kind: 'class' | 'interface' | 'enum';
  datatype?: boolean;
  properties?: Documented[];
  methods?: Documented[];
  members?: Documented[];
}

const assembly = JSON.parse(readFileSync(join(__dirname, '../../packages/retention-kit/.jsii'), 'utf8')) as { types: Record<string, JsiiType> };
const types = Object.entries(assembly.types);

describe('the public API of retention-kit', () => {
  it('documents every type, property, method and enum member, and every optional prop with its @default', () => {
    const missing: string[] = [];
    for (const [fqn, type] of types) {
      if (!type.docs?.summary) missing.push(`${fqn}: no summary`);
      for (const property of type.properties ?? []) {
        if (!property.docs?.summary) missing.push(`${fqn}.${property.name}: no doc`);
        if (type.datatype && property.optional && !property.docs?.default) missing.push(`${fqn}.${property.name}: no @default`);
      }
      for (const method of type.methods ?? []) if (!method.docs?.summary) missing.push(`${fqn}.${method.name}(): no doc`);
      for (const member of type.members ?? []) if (!member.docs?.summary) missing.push(`${fqn}.${member.name}: no doc`);
    }
    expect(missing).toEqual([]);
  });

  it('is curated: the constructs, stacks, policy types and enums, not the internals', () => {
    const names = types.map(([fqn]) => fqn.replace(/^retention-kit\./, ''));
    expect(names).toEqual(expect.arrayContaining(['BackupInfrastructureStack', 'BackupAccountStack', 'Retention', 'TableRecoveryStateMachine', 'RecoveryBackup', 'BackupMonitoring', 'CredentialRotation', 'IBackupInfrastructure', 'RestoreTestResourceType', 'OrganizationBackupPolicyStack', 'MalwareScannerRole', 'AirGappedVaultConfig', 'MalwareScanMode', 'TagConditions']));
    for (const internal of ['CategoryBackupPlan', 'CategoryBackupPlans', 'HandlerEnvironment', 'ConfigProblem', 'ProtectedRecord']) expect(names).not.toContain(internal);
    expect(names.length).toBeLessThan(75);
  });

  it('uses enums, not string unions, and Durations for the times a construct sets', () => {
    expect(assembly.types['retention-kit.RestoreTestingProps'].properties!.map((p) => p.name)).toEqual(expect.arrayContaining(['recoveryPointSelection', 'selectionWindow', 'startWindow', 'validationWindow']));
    const durations = ['RestoreTestingProps', 'CognitoUserPoolExportProps', 'SensitiveAuditTrailProps', 'DatabaseRotationProps', 'TableRecoveryStateMachineProps'].flatMap((name) =>
      (assembly.types[`retention-kit.${name}`].properties ?? []).filter((p) => (p as { type?: { fqn?: string } }).type?.fqn === 'aws-cdk-lib.Duration').map((p) => `${name}.${p.name}`),
    );
    expect(durations.sort()).toEqual(
      [
        'CognitoUserPoolExportProps.keepRuns',
        'DatabaseRotationProps.automaticallyAfter',
        'RestoreTestingProps.selectionWindow',
        'RestoreTestingProps.startWindow',
        'RestoreTestingProps.validationWindow',
        'SensitiveAuditTrailProps.retention',
        'TableRecoveryStateMachineProps.restorePollInterval',
      ].sort(),
    );
  });
});
