import { type EvaluationResult, runSimulation } from '@cloud-copilot/iam-simulate';

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
}

/**
 * Evaluates a request against identity and resource policies with an IAM policy simulator.
 * Throws when a policy does not validate, so a malformed policy cannot pass a test by accident.
 */
export async function evaluate(request: Request): Promise<EvaluationResult> {
  const result = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount },
        // What AWS puts in the request context: the principal's ARN for IAM principals; for a service, that it is one.
        contextVariables: {
          ...(request.principal.startsWith('arn:') ? { 'aws:PrincipalArn': request.principal, 'aws:PrincipalIsAWSService': 'false' } : { 'aws:PrincipalIsAWSService': 'true' }),
          ...request.context,
        },
      },
      identityPolicies: (request.identityPolicies ?? []).map((policy, i) => ({ name: `policy${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.resourcePolicy,
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation failed: ${JSON.stringify(result.errors, null, 2)}`);
  return result.overallResult;
}
