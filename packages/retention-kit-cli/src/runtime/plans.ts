/** The toolkit's backup plans, as AWS Backup lists them: named `<stack>-<category>`, or `retention-kit-<category>` for an organization backup policy's. */
import { type BackupClient, paginateListBackupPlans } from '@aws-sdk/client-backup';

/** The category of each of the toolkit's plans, by plan id. */
export async function planCategories(backup: BackupClient, categories: readonly string[]): Promise<Map<string, string>> {
  const byPlan = new Map<string, string>();
  for await (const page of paginateListBackupPlans({ client: backup }, {})) {
    for (const plan of page.BackupPlansList ?? []) {
      const category = categories.find((c) => (plan.BackupPlanName ?? '').endsWith(`-${c}`));
      if (category && plan.BackupPlanId) byPlan.set(plan.BackupPlanId, category);
    }
  }
  return byPlan;
}
