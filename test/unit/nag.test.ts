import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { BackupInfrastructureStack, Retention } from 'retention-kit';
import { REFERENCE_CONTEXT, referenceApp, tempDir } from '../support/apps';

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: { ruleName: string }[];
    suppressedViolations: { ruleName: string; reason: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

function nagReport(app: App): ValidationReport {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // Synth throws on any unacknowledged cdk-nag error, listing each finding.
  const { directory } = app.synth();
  return JSON.parse(readFileSync(join(directory, 'validation-report.json'), 'utf8')) as ValidationReport;
}

describe('cdk-nag AwsSolutions', () => {
  it('passes over the reference app with no unacknowledged error, every acknowledgement with its reason', () => {
    const app = referenceApp();
    const report = nagReport(app);
    const nag = report.pluginReports.find((r) => r.pluginName.includes('AwsSolutions'));
    expect(nag, JSON.stringify(report.pluginReports.map((r) => r.pluginName))).toBeDefined();
    expect(nag!.conclusion).toBe('success');
    expect(nag!.violations).toEqual([]);
    const suppressed = nag!.suppressedViolations.map((v) => `${v.ruleName} @ ${v.violatingConstructs[0].constructPath}`);
    expect(suppressed).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^AwsSolutions-IAM4\[Policy::.*AWSBackupServiceRolePolicyForS3Backup\] @ BackupInfrastructure\/GeneralBackupRole/),
        expect.stringMatching(/^AwsSolutions-IAM5\[Resource::\*\] @ BackupInfrastructure\/SensitiveBackupRole/),
        expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<SSNTable\w+\.Arn>\/backup\/\*\] @ Persistent\/RetentionKitBackupPlans\/SsnData/),
      ]),
    );
    for (const violation of nag!.suppressedViolations) expect(violation.reason.length, violation.ruleName).toBeGreaterThan(30);
  });

  it('passes over the infrastructure stack on its own', () => {
    const app = new App({ context: REFERENCE_CONTEXT, outdir: tempDir('nag-infra') });
    new BackupInfrastructureStack(app, 'Infra', { env: { account: '111111111111', region: 'us-east-1' } });
    expect(() => nagReport(app)).not.toThrow();
  });

  it('fails synth when a finding is not acknowledged', () => {
    const app = referenceApp();
    const persistent = app.node.findChild('Persistent');
    // A bucket without TLS enforcement or access logs, excluded so that only cdk-nag objects.
    Retention.of(new Bucket(persistent, 'Careless')).exclude('a scratch bucket for this test only');
    expect(() => nagReport(app)).toThrow(/AwsSolutions-S10/);
  });
});
