import * as events from 'aws-cdk-lib/aws-events';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import type { JobAlertRule } from '../policy';

/** A rule's message as EventBridge's input transformer fills it: each <name> becomes the event field at its path. */
export function alertText(rule: JobAlertRule): string {
  return rule.message
    .split(/(<\w+>)/)
    .map((part) => {
      const name = /^<(\w+)>$/.exec(part)?.[1];
      return name && rule.fields[name] ? events.EventField.fromPath(rule.fields[name]) : part;
    })
    .join('');
}

/** An EventBridge pattern as the policy model writes it (`detail-type`), as aws-cdk-lib takes it (`detailType`). */
export function eventPatternOf(pattern: Record<string, unknown>): events.EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern as { 'detail-type'?: string[] } & Record<string, unknown>;
  return { ...rest, detailType } as events.EventPattern;
}

/** An alert rule of the policy model as an EventBridge rule that publishes its message to a topic. */
export function alertRule(scope: Construct, rule: JobAlertRule, topic: sns.ITopic): events.Rule {
  return new events.Rule(scope, rule.id, {
    description: rule.description,
    eventPattern: eventPatternOf(rule.pattern),
    targets: [new targets.SnsTopic(topic, { message: events.RuleTargetInput.fromText(alertText(rule)) })],
  });
}
