import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A cdk-nag finding (rule id, optionally `[finding]`) accepted on purpose, with the reason why. */
export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

/** Acknowledges cdk-nag findings on a construct; every acknowledgement carries its reason. */
export function acknowledge(scope: IConstruct, ...acknowledgements: Acknowledgement[]): void {
  for (const { id, reason } of acknowledgements) Validations.of(scope).acknowledge({ id, reason });
}
