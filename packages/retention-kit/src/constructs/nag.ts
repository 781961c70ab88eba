import { Token, Validations } from 'aws-cdk-lib';
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

/** How cdk-nag spells a value in a finding: the literal, or the pseudo parameter's name when it is a token. */
export function nagValue(value: string, pseudo: string): string {
  return Token.isUnresolved(value) ? pseudo : value;
}
