import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { BackupInfrastructureStack, BreakGlassRole, Retention } from 'retention-kit';
import { type BreakGlassGrant, type PolicyDocumentJson, closedTrustPolicy, openPolicy, wholeAccountTrustProblems } from 'retention-kit/policy';
import { RECOVERY_ROLE_NAME } from '../../../apps/reference/names';
import { resolve, resourceProps } from '../../support/cfn';
import { ENVIRONMENT_ACCOUNT as ACCOUNT, REFERENCE_CONTEXT, referenceApp, synthError, synthesize, tempDir } from '../../support/apps';
import { assumeRole } from '../../support/iam';

const ADMINISTRATOR = `arn:aws:iam::${ACCOUNT}:role/Administrator`;
const OPERATOR = `arn:aws:iam::${ACCOUNT}:role/DisasterRecoveryOperator`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${RECOVERY_ROLE_NAME}`;
const grant: BreakGlassGrant = { principalArn: OPERATOR, notBefore: '2026-12-06T10:00:00Z', notAfter: '2026-12-06T14:00:00Z' };

/** Whether a principal with every permission in its own IAM may assume the role at a time, by the role's trust. */
const assume = (principal: string, trust: unknown, time = '2026-12-06T12:00:00Z') => assumeRole(principal, ROLE_ARN, trust, { 'aws:CurrentTime': time });

/** An app whose SSN table lock exempts a recovery role made by `makeRole`. */
function appExempting(makeRole: (stack: Stack) => iam.IRole): App {
  const app = new App({ context: { ...REFERENCE_CONTEXT }, outdir: tempDir('exempt-role') });
  const env = { account: ACCOUNT, region: 'us-east-1' };
  new BackupInfrastructureStack(app, 'BackupInfrastructure', { env });
  const stack = new Stack(app, 'Data', { env });
  const table = new dynamodb.Table(stack, 'SSNTable', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } });
  Retention.of(table).protect('ssn_data', { sensitiveTable: { recoveryRoleArns: [makeRole(stack).roleArn] } });
  return app;
}

describe('the roles a sensitive table lock exempts, and who can become them', () => {
  describe('the hole: a recovery role that trusts its account', () => {
    const accountTrust = () => {
      const stack = new Stack();
      // The synthesized trust, its partition intrinsic resolved as CloudFormation would.
      return resolve({ account: ACCOUNT, region: 'us-east-1', templates: {} }, stack.resolve(new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() }).assumeRolePolicy)) as PolicyDocumentJson;
    };

    it('lets any administrator of the account assume it, evaluated', async () => {
      expect(await assume(ADMINISTRATOR, accountTrust())).toBe('Allowed');
    });

    it('fails synth, naming the role, the account and the fix', () => {
      const message = synthError(appExempting((stack) => new iam.Role(stack, 'RecoveryRole', { assumedBy: new iam.AccountRootPrincipal() })));
      expect(message).toContain('the lock exempts role Data/RecoveryRole, but its trust admits the whole account');
      expect(message).toContain('administrators included');
      expect(message).toContain('Make it a BreakGlassRole');
    });

    it.each([
      ['an account principal', () => new iam.AccountPrincipal('999999999999')],
      ['everyone', () => new iam.AnyPrincipal()],
      ['a composite that includes the account', () => new iam.CompositePrincipal(new iam.ServicePrincipal('lambda.amazonaws.com'), new iam.AccountRootPrincipal())],
    ])('fails synth for a trust of %s too', (_name, principal) => {
      expect(synthError(appExempting((stack) => new iam.Role(stack, 'RecoveryRole', { assumedBy: principal() })))).toContain('the lock exempts role Data/RecoveryRole');
    });

    it('accepts a role trusted by a named principal, or by the account pinned to named principal ARNs', () => {
      const named = appExempting((stack) => new iam.Role(stack, 'RecoveryRole', { assumedBy: new iam.ArnPrincipal(OPERATOR) }));
      expect(() => named.synth()).not.toThrow();
      expect(wholeAccountTrustProblems({ Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole', Condition: { ArnEquals: { 'aws:PrincipalArn': OPERATOR } } }] })).toEqual([]);
    });

    it('warns, naming it, about an exempt role the app does not define', () => {
      const app = appExempting((stack) => iam.Role.fromRoleArn(stack, 'Elsewhere', `arn:aws:iam::${ACCOUNT}:role/Elsewhere`));
      const assembly = app.synth();
      const warnings = assembly.getStackByName('Data').messages.map((m) => String(m.entry.data));
      expect(warnings.some((w) => w.includes(`the lock exempts arn:aws:iam::${ACCOUNT}:role/Elsewhere, which this app does not define`))).toBe(true);
    });
  });

  describe("the reference app's recovery role, a BreakGlassRole", () => {
    let trust: PolicyDocumentJson;

    beforeAll(() => {
      const d = synthesize(referenceApp());
      const role = resourceProps(d, 'Persistent', 'AWS::IAM::Role', 'RecoveryRole');
      expect(role.RoleName).toBe(RECOVERY_ROLE_NAME);
      trust = role.AssumeRolePolicyDocument;
    });

    it('deploys the closed trust, which no principal passes, administrators included', async () => {
      expect(trust).toEqual(closedTrustPolicy());
      expect(await assume(ADMINISTRATOR, trust)).not.toBe('Allowed');
      expect(await assume(OPERATOR, trust)).not.toBe('Allowed');
    });

    it('admits, once break-glass opens it, the one operator inside the time box and nobody else', async () => {
      const opened = openPolicy('trust', trust, grant);
      expect(opened.Statement.every((s) => s.Resource === undefined)).toBe(true);
      expect(await assume(OPERATOR, opened)).toBe('Allowed');
      expect(await assume(ADMINISTRATOR, opened)).toBe('ExplicitlyDenied');
      expect(await assume(OPERATOR, opened, '2026-12-06T14:00:01Z')).toBe('ExplicitlyDenied');
      expect(await assume(OPERATOR, opened, '2026-12-06T09:59:59Z')).toBe('ExplicitlyDenied');
    });

    it('alerts on the sensitive topic on every change to its trust or permissions (expected ones by break-glass told apart), and on every assumption', () => {
      const d = synthesize(referenceApp());
      const rules = Object.entries(d.templates.Persistent.Resources).filter(([id, r]) => r.Type === 'AWS::Events::Rule' && id.startsWith('RecoveryRole'));
      expect(rules.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['RecoveryRoleBreakGlassRoleAssumed', 'RecoveryRoleBreakGlassRoleChanged', 'RecoveryRoleBreakGlassRoleChangedByBreakGlass']);
      for (const [, rule] of rules) {
        const pattern = rule.Properties!.EventPattern;
        expect(JSON.stringify(pattern)).toContain(RECOVERY_ROLE_NAME);
        const topic = JSON.stringify(rule.Properties!.Targets[0].Arn);
        expect(topic).toContain('MonitoringSensitiveAlerts');
      }
    });

    it('is the role the lock exempts for bulk reads', () => {
      const d = synthesize(referenceApp());
      const table = resourceProps(d, 'Persistent', 'AWS::DynamoDB::Table', 'SSNTable');
      const recovery = table.ResourcePolicy.PolicyDocument.Statement.find((s: { Sid: string }) => s.Sid === 'DenyBulkReadsExceptRecovery');
      expect(recovery.Condition.ArnNotEquals['aws:PrincipalArn']).toEqual([ROLE_ARN]);
    });
  });

  it('BreakGlassRole keeps the role usable for policies and grants', () => {
    const stack = new Stack();
    const role = new BreakGlassRole(stack, 'R', { roleName: 'R' });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: ['*'] }));
    const template = stack.resolve((role.node.defaultChild as iam.CfnRole).assumeRolePolicyDocument);
    expect(template).toEqual(closedTrustPolicy());
    expect(role.node.tryFindChild('DefaultPolicy')).toBeDefined();
  });
});
