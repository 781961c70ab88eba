/**
 * Who can become a role: its trust policy read for principals nobody planned for. A role that a lock
 * exempts is only as narrow as its trust: a trust naming a whole account hands the decision to that
 * account's IAM policies, so every administrator there can assume the role and pass the lock.
 * Pure: reads policy JSON, synthesized (with CloudFormation intrinsics) or live.
 */
import { type PolicyDocumentJson, policyDocument } from './statements';

/** The Sid of the standing DENY of a break-glass role's trust, which `break-glass open` carves one principal out of. */
export const BREAK_GLASS_TRUST_SID = 'DenyAssumeOutsideBreakGlass';

/** The actions that make a principal the role: assuming it, and the calls that go with an assumption. */
export const ASSUME_ACTIONS = ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'];

/**
 * The trust of a role that nobody may assume until break-glass opens it for one principal and a
 * time box. A trust with no Allow admits nobody: assuming a role needs the trust's own Allow, whatever
 * the caller's IAM policies say. The DENY states it, and is what `break-glass open` edits.
 */
export function closedTrustPolicy(): PolicyDocumentJson {
  return policyDocument({ Sid: BREAK_GLASS_TRUST_SID, Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' });
}

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** A principal value as text: a string, or a CloudFormation intrinsic flattened (Fn::Join parts joined, other tokens as `<token>`). */
function principalText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    const join = (value as Record<string, unknown>)['Fn::Join'];
    if (Array.isArray(join) && Array.isArray(join[1])) return (join[1] as unknown[]).map((part) => (typeof part === 'string' ? part : '<token>')).join(String(join[0]));
  }
  return '<token>';
}

/** Whether a principal names a whole account (its root, or its bare ID) or everyone. */
function wholeAccount(text: string): boolean {
  return text === '*' || /^\d{12}$/.test(text) || /:iam::(\d{12}|<token>):root$/.test(text);
}

/** A statement that names principals by `aws:PrincipalArn` lets in those principals only, whatever its Principal element. */
function pinnedToPrincipalArns(condition: unknown): boolean {
  if (condition === null || typeof condition !== 'object') return false;
  return Object.entries(condition as Record<string, Record<string, unknown>>).some(
    ([operator, keys]) => /^(ArnEquals|StringEquals)$/.test(operator) && Object.keys(keys ?? {}).some((k) => k.toLowerCase() === 'aws:principalarn'),
  );
}

const assumes = (action: unknown): boolean =>
  list(action).some((a) => typeof a === 'string' && (a === '*' || a === 'sts:*' || /^sts:AssumeRole(WithSAML|WithWebIdentity)?$/i.test(a)));

/**
 * Problems with the trust of a role that a lock exempts: each Allow of an assumption that admits a
 * whole account, or everyone, without naming principals by `aws:PrincipalArn`.
 */
export function wholeAccountTrustProblems(trust: unknown): string[] {
  const statements = list((trust as { Statement?: unknown } | undefined)?.Statement) as { Effect?: string; Principal?: unknown; Action?: unknown; Condition?: unknown }[];
  const problems: string[] = [];
  for (const statement of statements) {
    if (statement.Effect !== 'Allow' || !assumes(statement.Action) || pinnedToPrincipalArns(statement.Condition)) continue;
    const principal = statement.Principal;
    const aws = principal === '*' ? ['*'] : list((principal as Record<string, unknown> | undefined)?.AWS);
    for (const text of aws.map(principalText).filter(wholeAccount)) {
      problems.push(
        text === '*'
          ? 'its trust admits every principal (Principal "*")'
          : `its trust admits the whole account ${text.replace(/^arn:[^:]+:iam::/, '').replace(/:root$/, '')} (${text}): every principal whose own IAM policies allow sts:AssumeRole, administrators included, can become it`,
      );
    }
  }
  return problems;
}
