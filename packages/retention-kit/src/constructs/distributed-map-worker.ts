/**
 * What the two hydration state machines share: a worker function the state machine calls
 * synchronously, and a state machine with Distributed Maps, logged and traced, with the cdk-nag
 * acknowledgements their CDK grants need.
 */
import { type CfnResource, Duration, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { HandlerName } from '../policy/handler-contracts';
import { handlerFunction } from './handler-function';
import { type Acknowledgement, acknowledge, nagValue } from './nag';
import { operationalLogGroup } from './log-group';

export interface WorkerFunctionProps {
  /** The prebuilt handler. */
  readonly handler: HandlerName;
  readonly role: iam.IRole;
  readonly logGroup: logs.ILogGroup;
  readonly description: string;
  readonly memorySize: number;
  /** The AWS API the function calls, for the VPC acknowledgement. */
  readonly api: string;
  /** The handler's variables, encoded by its contract. */
  readonly environment?: Record<string, string>;
}

export function workerFunction(scope: Construct, id: string, props: WorkerFunctionProps): lambda.Function {
  const worker = handlerFunction(scope, id, { ...props, timeout: Duration.minutes(15) });
  acknowledge(
    worker,
    { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC', reason: `The function calls only the ${props.api} API.` },
    { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency', reason: 'Concurrency is bounded by the Distributed Map (maxConcurrency).' },
    { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ', reason: 'Called synchronously by the state machine, which retries each call and fails the execution visibly.' },
  );
  return worker;
}

/** A state machine over `definition` that calls `worker`, with its logs, tracing and acknowledgements. */
export function distributedMapStateMachine(scope: Construct, definition: sfn.IChainable, worker: lambda.IFunction, roleAcknowledgements: Acknowledgement[] = []): sfn.StateMachine {
  const stack = Stack.of(scope);
  const machineLogs = operationalLogGroup(scope, 'StateMachineLogs', 'Execution history holds resource names, positions and counts, never data (execution data is not logged)');
  const machine = new sfn.StateMachine(scope, 'StateMachine', {
    definitionBody: sfn.DefinitionBody.fromChainable(definition),
    logs: { destination: machineLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
    tracingEnabled: true,
    timeout: Duration.days(7),
  });
  const ownPolicy = { id: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy', reason: "The state machine's own permissions, kept with its role." };
  acknowledge(
    machine.role.node.findChild('DefaultPolicy'),
    { id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.getLogicalId(worker.node.defaultChild as CfnResource)}.Arn>:*]`, reason: 'Invoking the worker function by any version or alias (CDK grant).' },
    { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray tracing (PutTraceSegments, PutTelemetryRecords) and CloudWatch Logs delivery have no resource-level permissions.' },
    ...roleAcknowledgements,
    ownPolicy,
  );
  const machineName = JSON.stringify({ 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: stack.getLogicalId(machine.node.defaultChild as CfnResource) }] }] });
  const executions = `arn:<AWS::Partition>:states:${nagValue(stack.region, '<AWS::Region>')}:${nagValue(stack.account, '<AWS::AccountId>')}:execution:${machineName}`;
  const childExecutions = "The Distributed Map's child executions of this state machine, named at run time (CDK grant).";
  acknowledge(
    machine.node.findChild('DistributedMapPolicy'),
    { id: `AwsSolutions::AwsSolutions-IAM5[Resource::${executions}:*]`, reason: childExecutions },
    { id: `AwsSolutions::AwsSolutions-IAM5[Resource::${executions}/*:*]`, reason: childExecutions },
    ownPolicy,
  );
  return machine;
}
