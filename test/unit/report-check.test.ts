import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App, CfnResource, Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackupAccountApp } from '../../apps/backup-account/app';
import { PROTECTION_METADATA_KEY } from 'retention-kit/policy';
import { checkAssembly } from '../../packages/retention-kit-cli/src/report/check';
import { protectionReport } from '../../packages/retention-kit-cli/src/report/protection-report';
import { referenceApp, tempDir } from '../support/apps';

const check = (dir: string) => checkAssembly(dir, protectionReport(dir));

/** The reference app with one change made by an escape hatch, as a team's own app could have it. */
function withChange(change: (persistent: Stack) => void): string {
  const app = referenceApp() as App;
  change(app.node.findChild('Persistent') as Stack);
  return app.synth().directory;
}

const plan = (persistent: Stack, category: string) => persistent.node.findChild('RetentionKitBackupPlans').node.findChild(category).node.findChild('Plan').node.defaultChild as CfnResource;

describe('retention report --check', () => {
  let clean: string;
  beforeAll(() => {
    clean = referenceApp().synth().directory;
  });

  it('passes the reference environment app and the backup account app', () => {
    expect(check(clean)).toEqual([]);
    const context = JSON.parse(readFileSync(join(__dirname, '../../apps/backup-account/cdk.context.example.json'), 'utf8'));
    const backupAccount = createBackupAccountApp({ context, outdir: tempDir('check-backup') }).synth().directory;
    expect(check(backupAccount)).toEqual([]);
  });

  it('finds a category plan whose copy to the backup account was removed', () => {
    const dir = withChange((p) => plan(p, 'CriticalData').addPropertyOverride('BackupPlan.BackupPlanRule.0.CopyActions', []));
    const problems = check(dir);
    expect(problems.map((x) => x.path).sort()).toEqual(['Persistent/DataEventTable', 'Persistent/ProviderTable', 'Persistent/StaffUsersTable', 'Persistent/TransactionHistoryTable']);
    expect(problems[0].problem).toBe('its category requires a copy in another account, and no plan rule makes one');
  });

  it('finds a plan that keeps recovery points shorter than the category', () => {
    const dir = withChange((p) => plan(p, 'SsnData').addPropertyOverride('BackupPlan.BackupPlanRule.0.Lifecycle.DeleteAfterDays', 30));
    expect(check(dir)).toEqual([{ path: 'Persistent/SSNTable', problem: 'no plan rule keeps recovery points 2555 days as its category requires' }]);
  });

  it('finds a protected resource no plan selects', () => {
    const dir = withChange((p) => {
      const selection = p.node.findChild('RetentionKitBackupPlans').node.findChild('DocumentStorage').node.findChild('Selection1') as CfnResource;
      selection.addPropertyOverride('BackupSelection.Resources', []);
    });
    expect(check(dir)).toEqual([{ path: 'Persistent/ProviderUsersBucket', problem: 'no backup plan in its stack selects it' }]);
  });

  it('finds an RPO its schedule cannot meet and an exclusion without a reason', () => {
    const file = join(clean, 'Persistent.template.json');
    const template = JSON.parse(readFileSync(file, 'utf8'));
    const copyDir = tempDir('check-edited');
    for (const name of ['manifest.json', 'BackupInfrastructure.template.json']) writeFileSync(join(copyDir, name), readFileSync(join(clean, name)));
    for (const resource of Object.values(template.Resources) as { Metadata?: Record<string, any> }[]) {
      const record = resource.Metadata?.[PROTECTION_METADATA_KEY];
      if (record?.status === 'excluded' && /BulkUploads/.test(resource.Metadata!['aws:cdk:path'])) record.reason = '';
      if (record?.category === 'configuration_data') record.scheduleIntervalHours = 168;
    }
    writeFileSync(join(copyDir, 'Persistent.template.json'), JSON.stringify(template));
    expect(check(copyDir)).toEqual(
      expect.arrayContaining([
        { path: 'Persistent/BulkUploadsBucket', problem: 'excluded without a reason' },
        { path: 'Persistent/CompactConfigurationTable', problem: "scheduled 168 hours apart at worst, over its category's RPO of 24 hours" },
      ]),
    );
  });
});
