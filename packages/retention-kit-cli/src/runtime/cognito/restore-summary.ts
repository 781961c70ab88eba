/** The restore's summary as the CLI prints it. */
import type { Listed, RestoreSummary } from './restorer';

/** Lines printed per list (failed, differing, skipped); the report file holds up to MAX_LISTED. */
const PRINTED = 20;


export function formatRestoreSummary(summary: RestoreSummary): string {
  const { groups, users, memberships } = summary;
  const statuses = Object.entries(users.statusOfCreated).map(([status, n]) => `${status} ${n}`).join(', ');
  const lines = [
    `Restore of ${summary.sourceUserPoolId} into ${summary.targetUserPoolId} from ${summary.export}`,
    `path: ${summary.method === 'import-job' ? 'Cognito user import job, then per-user calls for the rest' : 'per-user calls'} (${summary.methodReason})`,
    `groups: ${groups.total} exported; ${groups.created} created, ${groups.alreadyPresent} already there, ${groups.differing.count} differ`,
    `users: ${users.total} exported; ${users.created} created${statuses ? ` (${statuses})` : ''}, ${users.imported} imported by job, ` +
      `${users.alreadyPresent} already there, ${users.disabled} disabled again, ${users.differing.count} differ, ${users.failed.count} failed, ${users.skipped.count} skipped`,
    `memberships: ${memberships.total} exported; ${memberships.added} added, ${memberships.alreadyPresent} already there, ` +
      `${memberships.failed.count} failed, ${memberships.skipped.count} skipped`,
    `old sub: ${summary.sourceSub.note}`,
    ...milestoneLines(summary),
  ];
  for (const job of summary.importJobs) {
    lines.push(`import job ${job.jobId}: ${job.status}, ${job.imported} imported, ${job.skipped} skipped, ${job.failed} failed${job.message ? ` (${job.message})` : ''}`);
  }
  for (const [reason, n] of Object.entries(users.notImported)) lines.push(`not in the import job (${n}): ${reason}`);
  if (users.created > 0) {
    lines.push(
      `passwords: the ${users.created} users created one by one are FORCE_CHANGE_PASSWORD with a temporary password nobody was sent; ` +
        'they can sign in once you send invitations (retention cognito invite). See docs/disaster-recovery.md.',
    );
  }
  if (users.imported > 0) {
    lines.push(
      `passwords: the ${users.imported} imported users are RESET_REQUIRED; at sign-in they are sent through the forgot-password flow, ` +
        'which mails or texts them a code. See docs/disaster-recovery.md.',
    );
  }
  lines.push(...listed('user differs', users.differing, (u) => `${u.username}: ${u.differences.join(', ')}`));
  lines.push(...listed('group differs', groups.differing, (g) => `${g.group}: ${g.differences.join(', ')}`));
  lines.push(...listed('user failed', users.failed, (u) => `${u.username}: ${u.reason}`));
  lines.push(...listed('user skipped', users.skipped, (u) => `${u.username}: ${u.reason}`));
  lines.push(...listed('membership failed', memberships.failed, (m) => `${m.group}/${m.username}: ${m.reason}`));
  lines.push(...listed('membership skipped', memberships.skipped, (m) => `${m.group}/${m.username}: ${m.reason}`));
  const total = Object.values(summary.calls).reduce((sum, n) => sum + n, 0);
  lines.push(`calls: ${total} (${Object.entries(summary.calls).map(([op, n]) => `${op} ${n}`).join(', ')})${summary.resumes > 0 ? `; continued ${summary.resumes} time(s) from its checkpoint` : ''}`);
  return `${lines.join('\n')}\n`;
}

/** When each stage ended, as seconds after the restore started. */
function milestoneLines(summary: RestoreSummary): string[] {
  const start = Date.parse(summary.startedAt);
  const at = (iso?: string) => (iso ? `${iso} (${((Date.parse(iso) - start) / 1000).toFixed(1)} s after the start${summary.resumes > 0 ? ', resumes included' : ''})` : undefined);
  const { groupsFirstDoneAt, signInPossibleAt, membershipsDoneAt } = summary.milestones ?? {};
  return [
    ...(summary.groupsFirst && groupsFirstDoneAt ? [`groups first (${summary.groupsFirst.join(', ')}): members and memberships done at ${at(groupsFirstDoneAt)}`] : []),
    ...(signInPossibleAt ? [`sign-in possible: every user existed at ${at(signInPossibleAt)}`] : []),
    ...(membershipsDoneAt ? [`last membership added at ${at(membershipsDoneAt)}`] : []),
  ];
}

function listed<T>(label: string, list: Listed<T>, show: (item: T) => string): string[] {
  const lines = list.items.slice(0, PRINTED).map((item) => `  ${label}: ${show(item)}`);
  if (list.count > PRINTED) lines.push(`  ... and ${list.count - PRINTED} more ${label} (see the report)`);
  return lines;
}
