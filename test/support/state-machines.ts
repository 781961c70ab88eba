/**
 * Runs the state machines of a synthesized app locally: each definition comes from the template
 * (intrinsics resolved), executes in `aws-local-stepfunctions` (an Amazon States Language
 * interpreter), and each Lambda task runs the function's deployed asset from the cloud assembly, in
 * a worker thread of its own with the function's environment from the template.
 *
 * What it emulates and what it does not is written in docs/architecture.md ("Running the state
 * machines locally").
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { StateMachine } from 'aws-local-stepfunctions';
import { type CfnTemplate, type Deployment, resolve } from './cfn';

type Json = any;

/** One Lambda function of the template, run from its asset in a worker thread. */
class LocalFunction {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  invocations = 0;
  /** Killed (its worker terminated): the next invocation gets a new one, as Lambda starts a new sandbox. */
  killed = false;

  constructor(
    readonly logicalId: string,
    file: string,
    env: Record<string, string>,
  ) {
    // The worker loads the handler the way Lambda does: its own module, its own process.env.
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { handler } = require(workerData.file);
      parentPort.on('message', async ({ id, event, remainingMs }) => {
        const deadline = Date.now() + remainingMs;
        const context = { getRemainingTimeInMillis: () => deadline - Date.now(), functionName: workerData.name, awsRequestId: String(id) };
        try {
          parentPort.postMessage({ id, result: await handler(event, context) });
        } catch (error) {
          parentPort.postMessage({ id, error: { name: error?.name ?? 'Error', message: error?.message ?? String(error) } });
        }
      });`;
    this.worker = new Worker(source, { eval: true, workerData: { file, name: logicalId }, env, stdout: true, stderr: true });
    this.worker.on('message', (message: { id: number; result?: unknown; error?: { name: string; message: string } }) => {
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      if (message.error) call.reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
      else call.resolve(message.result);
    });
  }

  invoke(event: unknown, remainingMs: number): Promise<unknown> {
    this.invocations += 1;
    const id = this.nextId++;
    return new Promise((resolvePromise, reject) => {
      this.pending.set(id, { resolve: resolvePromise, reject });
      this.worker.postMessage({ id, event, remainingMs });
    });
  }

  /** Terminates the worker mid-invocation, as Lambda does on a timeout: every call in flight fails. */
  async kill(): Promise<void> {
    this.killed = true;
    await this.worker.terminate();
    for (const call of this.pending.values()) call.reject(Object.assign(new Error('the function was killed mid-invocation'), { name: 'Sandbox.Timedout' }));
    this.pending.clear();
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

export interface RunnerOptions {
  /** Environment every function gets besides its own: the local servers' endpoints and credentials. */
  readonly environment: Record<string, string>;
  /** The remaining time each invocation starts with. @default 900,000 ms */
  readonly remainingMs?: (functionLogicalId: string, event: Json) => number;
  /**
   * Called before each Lambda invocation; throwing fails that invocation with the error, as a
   * function error would (fault injection).
   */
  readonly beforeInvoke?: (functionLogicalId: string, event: Json) => void;
  /**
   * Called at each Lambda invocation; when the promise it returns settles while the invocation is
   * still running, the function's worker is terminated (the invocation fails as `Sandbox.Timedout`).
   */
  readonly killDuring?: (functionLogicalId: string, event: Json) => Promise<void> | undefined;
}

export interface Execution {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: Json;
  readonly error?: string;
  readonly cause?: string;
  /** Invocations per function logical id. */
  readonly invocations: Record<string, number>;
}

/**
 * A Distributed Map becomes an inline Map over the same items (the interpreter runs inline Maps
 * only). Item readers and batchers are refused rather than approximated.
 */
export function inlineDistributedMaps(states: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(
    Object.entries(states).map(([name, state]) => {
      if (state.Type !== 'Map') return [name, state];
      const { ItemReader, ItemBatcher, ResultWriter: _writer, ToleratedFailurePercentage: _p, ToleratedFailureCount: _c, Label: _label, ...rest } = state;
      if (ItemReader || ItemBatcher) throw new Error(`${name}: ItemReader and ItemBatcher are not supported by this runner`);
      const processor = rest.ItemProcessor;
      return [name, { ...rest, ItemProcessor: { ...processor, ProcessorConfig: { Mode: 'INLINE' }, States: inlineDistributedMaps(processor.States) } }];
    }),
  );
}

function allStates(states: Record<string, Json>): [string, Json][] {
  return Object.entries(states).flatMap(([name, state]) => [[name, state] as [string, Json], ...(state.Type === 'Map' ? allStates(state.ItemProcessor.States) : [])]);
}

export class LocalStateMachines {
  private readonly functions = new Map<string, LocalFunction>();
  /** Workers killed mid-invocation by `killDuring`. */
  kills = 0;
  private readonly deployment: Deployment;

  constructor(
    private readonly assemblyDirectory: string,
    private readonly stack: string,
    deployment: Deployment,
    private readonly options: RunnerOptions,
  ) {
    this.deployment = deployment;
  }

  private get template(): CfnTemplate {
    return this.deployment.templates[this.stack];
  }

  /** The logical id of the one resource of a type whose id starts with `prefix`. */
  logicalId(type: string, prefix: string): string {
    const found = Object.keys(this.template.Resources).filter((id) => id.startsWith(prefix) && this.template.Resources[id].Type === type);
    if (found.length !== 1) throw new Error(`expected one ${type} starting with ${prefix} in ${this.stack}, found ${found.length}`);
    return found[0];
  }

  /** The state machine's definition as deployed: intrinsics resolved to this deployment's names and ARNs. */
  definition(prefix: string): Json {
    const id = this.logicalId('AWS::StepFunctions::StateMachine', prefix);
    const properties = this.template.Resources[id].Properties!;
    const raw = properties.DefinitionString ?? JSON.stringify(properties.Definition);
    const text = resolve(this.deployment, raw);
    return JSON.parse(typeof text === 'string' ? text : JSON.stringify(text));
  }

  /** The function whose ARN a task names, started on first use. */
  private functionFor(arn: string): LocalFunction {
    const id = Object.keys(this.template.Resources).find(
      (key) => this.template.Resources[key].Type === 'AWS::Lambda::Function' && resolve(this.deployment, { 'Fn::GetAtt': [key, 'Arn'] }) === arn,
    );
    if (!id) throw new Error(`no function of ${this.stack} has the ARN ${arn}`);
    let fn = this.functions.get(id);
    if (!fn || fn.killed) {
      const properties = this.template.Resources[id].Properties!;
      const key = String((properties.Code as { S3Key?: unknown }).S3Key ?? '');
      const file = join(this.assemblyDirectory, `asset.${key.replace(/\.zip$/, '')}`, `${String(properties.Handler).split('.')[0]}.js`);
      if (!existsSync(file)) throw new Error(`${id}: its asset ${file} is not in the assembly`);
      const own = resolve(this.deployment, (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
      const env = { ...Object.fromEntries(Object.entries(own).map(([k, v]) => [k, String(v)])), ...this.options.environment };
      const previous = fn;
      fn = new LocalFunction(id, file, env);
      fn.invocations = previous?.invocations ?? 0;
      this.functions.set(id, fn);
    }
    return fn;
  }

  /** A local handler per Lambda task of the definition: direct function ARNs and `lambda:invoke`. */
  private taskHandlers(states: Record<string, Json>): Record<string, (input: Json) => Promise<Json>> {
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    for (const [name, state] of allStates(states)) {
      if (state.Type !== 'Task') continue;
      const resource = String(state.Resource);
      const optimized = resource === 'arn:aws:states:::lambda:invoke';
      if (!optimized && !/^arn:aws:lambda:[^:]+:\d{12}:function:/.test(resource)) throw new Error(`${name}: task resource ${resource} is not supported by this runner`);
      handlers[name] = async (input) => {
        const arn = optimized ? String(input.FunctionName) : resource;
        const event = optimized ? input.Payload : input;
        const fn = this.functionFor(arn);
        this.options.beforeInvoke?.(fn.logicalId, event);
        const running = fn.invoke(event, this.options.remainingMs?.(fn.logicalId, event) ?? 900_000);
        const killer = this.options.killDuring?.(fn.logicalId, event);
        let finished = false;
        if (killer) {
          const target = fn;
          void killer.then(() => {
            if (finished) return undefined;
            this.kills += 1;
            return target.kill();
          });
        }
        const result = await running.finally(() => {
          finished = true;
        });
        return optimized ? { Payload: result, StatusCode: 200, ExecutedVersion: '$LATEST' } : result;
      };
    }
    return handlers;
  }

  /** Executes a state machine to its end; retries wait no time. */
  async run(prefix: string, input: Json): Promise<Execution> {
    const definition = this.definition(prefix);
    const states = inlineDistributedMaps(definition.States);
    const machine = new StateMachine({ ...definition, States: states }, { validationOptions: { checkArn: false } });
    const retryIntervalOverrides = Object.fromEntries(allStates(states).filter(([, s]) => s.Retry).map(([name]) => [name, 0]));
    const execution = machine.run(input, { overrides: { taskResourceLocalHandlers: this.taskHandlers(states), retryIntervalOverrides } });
    const invocations = () => Object.fromEntries([...this.functions.values()].map((f) => [f.logicalId, f.invocations]));
    try {
      return { status: 'SUCCEEDED', output: await execution.result, invocations: invocations() };
    } catch (error) {
      // The interpreter wraps the execution's error (a Fail state's, or a task's that no Catch took).
      const failure = ((error as { name?: string; cause?: unknown }).name === 'ExecutionError' ? (error as { cause: unknown }).cause : error) as { name?: string; message?: string };
      return { status: 'FAILED', error: failure.name, cause: failure.message, invocations: invocations() };
    }
  }

  /** Lambda invocations so far, across every function and execution. */
  invocationCount(): number {
    return [...this.functions.values()].reduce((sum, f) => sum + f.invocations, 0);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.functions.values()].map((f) => f.stop()));
    this.functions.clear();
  }
}

/** Every state machine definition of a template, resolved, by logical id. */
export function stateMachineDefinitions(deployment: Deployment, stack: string): Record<string, Json> {
  const template = deployment.templates[stack];
  return Object.fromEntries(
    Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map(([id, r]) => {
        const text = resolve(deployment, r.Properties!.DefinitionString ?? JSON.stringify(r.Properties!.Definition));
        return [id, JSON.parse(typeof text === 'string' ? text : JSON.stringify(text))];
      }),
  );
}
