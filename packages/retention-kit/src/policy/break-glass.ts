/**
 * Break-glass: the exact, temporary policy edits that let one named principal restore from a
 * sensitive vault (and decrypt with its key) for a limited time, and nothing else. Pure functions
 * of policy documents: the CLI applies them, the runbook prints them, the tests evaluate them.
 */
import { BREAK_GLASS_TRUST_SID } from './role-trust';
import { type PolicyDocumentJson, type PolicyStatementJson, SID } from './statements';

export interface BreakGlassGrant {
  /** The one IAM principal (role or user ARN) allowed through. */
  readonly principalArn: string;
  /** Start of the window, ISO 8601 UTC. */
  readonly notBefore: string;
  /** End of the window, ISO 8601 UTC. */
  readonly notAfter: string;
}

/** What a sensitive vault or key, or a break-glass role's trust, opens for the principal. */
export const BREAK_GLASS_OPENS = {
  vault: { denySid: SID.denyRestore, actions: ['backup:StartRestoreJob'] },
  key: { denySid: SID.denyKeyDecrypt, actions: ['kms:Decrypt', 'kms:CreateGrant'] },
  trust: { denySid: BREAK_GLASS_TRUST_SID, actions: ['sts:AssumeRole'] },
  /** The backup account's sensitive vault, for a copy back to a standby: starting copies, by the failover access role. */
  copy: { denySid: SID.denyCopyOut, actions: ['backup:StartCopyJob'] },
} as const;

export type BreakGlassTargetKind = keyof typeof BREAK_GLASS_OPENS;

export const BREAK_GLASS_SID_PREFIX = 'BreakGlass';

const ARN = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:(role|user|assumed-role)\/[\w+=,.@/-]+$/;

/** Problems with a grant: a principal that is not an IAM ARN, a window that is empty, past or too long. */
export function grantProblems(grant: BreakGlassGrant, now: Date, maxHours = 72): string[] {
  const problems: string[] = [];
  if (!ARN.test(grant.principalArn)) problems.push(`principal ${JSON.stringify(grant.principalArn)} is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)`);
  const from = Date.parse(grant.notBefore);
  const until = Date.parse(grant.notAfter);
  if (Number.isNaN(from)) problems.push(`start ${JSON.stringify(grant.notBefore)} is not an ISO 8601 time`);
  if (Number.isNaN(until)) problems.push(`end ${JSON.stringify(grant.notAfter)} is not an ISO 8601 time`);
  if (!Number.isNaN(from) && !Number.isNaN(until)) {
    if (until <= from) problems.push('the end must come after the start');
    if (until <= now.getTime()) problems.push(`the end ${grant.notAfter} is already past`);
    if (until - from > maxHours * 3_600_000) problems.push(`the window is longer than ${maxHours} hours; open it again later if the work takes longer`);
  }
  return problems;
}

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** The statements added for one grant, given the DENY statement they carve the principal out of. */
export function breakGlassStatements(kind: BreakGlassTargetKind, base: PolicyStatementJson, grant: BreakGlassGrant): PolicyStatementJson[] {
  const { actions } = BREAK_GLASS_OPENS[kind];
  const baseConditions = base.Condition ?? {};
  const iso = (t: string) => new Date(Date.parse(t)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const window = { DateGreaterThan: { 'aws:CurrentTime': iso(grant.notBefore) }, DateLessThan: { 'aws:CurrentTime': iso(grant.notAfter) } };
  // A role's trust policy names no Resource: the role is the resource.
  const resource = kind === 'trust' ? {} : { Resource: '*' };
  return [
    {
      Sid: `${BREAK_GLASS_SID_PREFIX}DenyOthers`,
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: [...actions],
      ...resource,
      Condition: { ...baseConditions, ArnNotEquals: { 'aws:PrincipalArn': grant.principalArn } },
    },
    {
      Sid: `${BREAK_GLASS_SID_PREFIX}DenyAfterWindow`,
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: [...actions],
      ...resource,
      Condition: { ...baseConditions, ArnEquals: { 'aws:PrincipalArn': grant.principalArn }, DateGreaterThanEquals: { 'aws:CurrentTime': iso(grant.notAfter) } },
    },
    {
      Sid: `${BREAK_GLASS_SID_PREFIX}DenyBeforeWindow`,
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: [...actions],
      ...resource,
      Condition: { ...baseConditions, ArnEquals: { 'aws:PrincipalArn': grant.principalArn }, DateLessThanEquals: { 'aws:CurrentTime': iso(grant.notBefore) } },
    },
    {
      Sid: `${BREAK_GLASS_SID_PREFIX}AllowPrincipal`,
      Effect: 'Allow',
      Principal: { AWS: grant.principalArn },
      Action: [...actions],
      ...resource,
      Condition: window,
    },
  ];
}

export class BreakGlassError extends Error {}

export function isOpen(policy: PolicyDocumentJson): boolean {
  return policy.Statement.some((s) => s.Sid?.startsWith(BREAK_GLASS_SID_PREFIX));
}

/**
 * The policy with break-glass open for one grant: the opened actions leave the standing DENY
 * statement and move to statements that deny everyone but the principal, and the principal outside
 * the window. Everything else in the policy stays as it was.
 */
export function openPolicy(kind: BreakGlassTargetKind, policy: PolicyDocumentJson, grant: BreakGlassGrant): PolicyDocumentJson {
  const { denySid, actions } = BREAK_GLASS_OPENS[kind];
  if (isOpen(policy)) throw new BreakGlassError(`break-glass is already open on this ${kind} (statements ${BREAK_GLASS_SID_PREFIX}*); close it first`);
  const index = policy.Statement.findIndex((s) => s.Sid === denySid);
  if (index < 0) {
    throw new BreakGlassError(`the ${kind} policy has no ${denySid} statement: it is not the policy this toolkit deployed (drift?), so it is left untouched`);
  }
  const base = policy.Statement[index];
  const remaining = asList(base.Action).filter((a) => !(actions as readonly string[]).includes(a));
  const statements = [...policy.Statement];
  if (remaining.length > 0) statements[index] = { ...base, Action: remaining };
  else statements.splice(index, 1);
  return { ...policy, Statement: [...statements, ...breakGlassStatements(kind, base, grant)] };
}

/** A policy with JSON normalized the way AWS returns it, for comparing a live policy with a saved one. */
export function normalizePolicy(policy: unknown): unknown {
  if (Array.isArray(policy)) {
    const items = policy.map(normalizePolicy);
    return items.length === 1 ? items[0] : items;
  }
  if (policy !== null && typeof policy === 'object') {
    return Object.fromEntries(
      Object.keys(policy)
        .sort()
        .map((k) => [k, normalizePolicy((policy as Record<string, unknown>)[k])]),
    );
  }
  return policy;
}

export function samePolicy(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalizePolicy(a)) === JSON.stringify(normalizePolicy(b));
}
