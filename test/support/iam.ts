import { type EvaluationResult, anonymousPrincipal, runSimulation } from '@cloud-copilot/iam-simulate';

/** An unsigned request: no identity policies, no account. */
export const ANONYMOUS = 'anonymous';

export interface Request {
  principal: string;
  action: string;
  resource: string;
  /** Account that owns the resource. */
  resourceAccount: string;
  /** Identity policies of the principal. */
  identityPolicies?: unknown[];
  resourcePolicy?: unknown;
  context?: Record<string, string | string[]>;
  /** Service control policies of the account's organization, beside AWS's FullAWSAccess. */
  serviceControlPolicies?: unknown[];
}

const FULL_AWS_ACCESS = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/**
 * The simulator accepts context keys with a variable part only after a slash (`aws:PrincipalTag/x`),
 * and ignores KMS's `kms:EncryptionContext:<key>`, whose variable part follows a colon. Such keys are
 * renamed, in the policies and the request alike, to a global key with a slash that the same
 * condition operators evaluate; nothing else about the evaluation changes.
 */
const ENCRYPTION_CONTEXT = /kms:EncryptionContext:([A-Za-z0-9:_.-]+)/gi;
const STAND_IN_PREFIX = 'aws:PrincipalTag/kms-encryption-context-';
const renameEncryptionContext = <T>(value: T): T =>
  value === undefined ? value : (JSON.parse(JSON.stringify(value).replace(ENCRYPTION_CONTEXT, (_, key: string) => `${STAND_IN_PREFIX}${key.replace(/:/g, '-')}`)) as T);

/**
 * Evaluates a request against identity and resource policies with an IAM policy simulator.
 * Throws when a policy does not validate, so a malformed policy cannot pass a test by accident.
 */
export async function evaluate(request: Request): Promise<EvaluationResult> {
  const result = await runSimulation(
    {
      request: {
        principal: request.principal === ANONYMOUS ? anonymousPrincipal : request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount },
        // What AWS puts in the request context: the principal's ARN for IAM principals; for a service, that it is one.
        contextVariables: {
          ...(request.principal === ANONYMOUS
            ? {}
            : request.principal.startsWith('arn:')
              ? { 'aws:PrincipalArn': request.principal, 'aws:PrincipalIsAWSService': 'false' }
              : { 'aws:PrincipalIsAWSService': 'true' }),
          ...renameEncryptionContext(request.context),
        },
      },
      identityPolicies: (request.principal === ANONYMOUS ? [] : (request.identityPolicies ?? [])).map((policy, i) => ({ name: `policy${i}`, policy: renameEncryptionContext(policy) })),
      serviceControlPolicies: request.serviceControlPolicies
        ? [{ orgIdentifier: 'r-root', policies: [{ name: 'FullAWSAccess', policy: FULL_AWS_ACCESS }, ...request.serviceControlPolicies.map((policy, i) => ({ name: `scp${i}`, policy }))] }]
        : [],
      resourceControlPolicies: [],
      resourcePolicy: renameEncryptionContext(request.resourcePolicy),
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation failed: ${JSON.stringify(result.errors, null, 2)}`);
  return result.overallResult;
}

/** An account no example deploys to: the resource side of a request evaluated as if across accounts. */
const ELSEWHERE = '000000000000';

/**
 * Whether a principal whose own IAM allows everything may assume a role, by the role's trust. AWS
 * lets a principal assume a role only when the trust itself allows it, in the same account too; the
 * simulator applies that rule to requests across accounts, so the request is evaluated as one.
 * A trust naming the principal's account (its root) still matches it.
 */
export function assumeRole(principal: string, roleArn: string, trust: unknown, context: Record<string, string | string[]> = {}): Promise<EvaluationResult> {
  return evaluate({
    principal,
    action: 'sts:AssumeRole',
    resource: roleArn,
    resourceAccount: ELSEWHERE,
    identityPolicies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }],
    resourcePolicy: trust,
    context,
  });
}
