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
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { StateMachine } from 'aws-local-stepfunctions';
import { type CfnTemplate, type Deployment, resolve } from './cfn';
import { matchesPattern } from './event-pattern';

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
      parentPort.on('message', async ({ id, event, remainingMs, msPerCheck }) => {
        const deadline = Date.now() + remainingMs;
        let left = remainingMs;
        // A wall clock, or one that advances a fixed step at each look (hand-overs independent of the machine's speed).
        const remaining = msPerCheck ? () => (left -= msPerCheck) : () => deadline - Date.now();
        const context = { getRemainingTimeInMillis: remaining, functionName: workerData.name, awsRequestId: String(id) };
        try {
          parentPort.postMessage({ id, result: await handler(event, context) });
        } catch (error) {
          parentPort.postMessage({ id, error: { name: error?.name ?? 'Error', message: error?.message ?? String(error) } });
        }
      });`;
    this.worker = new Worker(source, { eval: true, workerData: { file, name: logicalId }, env, stdout: true, stderr: true });
    // A worker that cannot load its handler, or dies, fails every call in flight (as a Lambda init error would).
    const failAll = (error: Error) => {
      for (const call of this.pending.values()) call.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', (error) => failAll(Object.assign(new Error(error.message), { name: 'Runtime.InitError' })));
    this.worker.on('exit', (code) => failAll(Object.assign(new Error(`the function's worker exited with code ${code}`), { name: 'Runtime.ExitError' })));
    this.worker.on('message', (message: { id: number; result?: unknown; error?: { name: string; message: string } }) => {
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      if (message.error) call.reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
      else call.resolve(message.result);
    });
  }

  invoke(event: unknown, remainingMs: number, msPerCheck?: number): Promise<unknown> {
    this.invocations += 1;
    const id = this.nextId++;
    return new Promise((resolvePromise, reject) => {
      this.pending.set(id, { resolve: resolvePromise, reject });
      this.worker.postMessage({ id, event, remainingMs, msPerCheck });
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
   * When set, the remaining time drops by this much at each `getRemainingTimeInMillis()` call instead
   * of with the wall clock, so a function hands over after a known number of looks.
   */
  readonly msPerCheck?: number;
  /**
   * Called before each Lambda invocation; throwing fails that invocation with the error, as a
   * function error would (fault injection).
   */
  readonly beforeInvoke?: (functionLogicalId: string, event: Json) => void | Promise<void>;
  /**
   * Called at each Lambda invocation; when the promise it returns settles while the invocation is
   * still running, the function's worker is terminated (the invocation fails as `Sandbox.Timedout`).
   */
  readonly killDuring?: (functionLogicalId: string, event: Json) => Promise<void> | undefined;
  /** The S3 client item readers list with (the local server's). */
  readonly s3?: S3Client;
  /**
   * The local name of template resources, by logical id prefix (a user pool's id on cognito-local, a
   * bucket on s3rver): a `Ref` to them in a function's environment resolves to it.
   */
  readonly physicalIds?: Record<string, string>;
}

/** Replaces each `Ref` to a resource named in `ids` (by logical id prefix) with its local name. */
function withLocalNames(value: Json, ids: Record<string, string>): Json {
  if (Array.isArray(value)) return value.map((v) => withLocalNames(v, ids));
  if (typeof value !== 'object' || value === null) return value;
  if (typeof value.Ref === 'string') {
    const prefix = Object.keys(ids).find((p) => value.Ref.startsWith(p));
    if (prefix) return ids[prefix];
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withLocalNames(v, ids)]));
}

export interface Execution {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: Json;
  readonly error?: string;
  readonly cause?: string;
  /** Invocations per function logical id. */
  readonly invocations: Record<string, number>;
}

/** The marker resource of a Task state that stands in for a Distributed Map. */
const DISTRIBUTED_MAP = 'arn:aws:states:::local:distributedMap';

/**
 * Each Distributed Map becomes a Task state of the same name (same InputPath, ResultSelector,
 * ResultPath, OutputPath, Retry, Catch and transition) whose local handler runs the map as an
 * inline Map in the interpreter: over its ItemsPath, or over what its ItemReader reads, batched by
 * its ItemBatcher, at its MaxConcurrency. A child that fails fails the map with
 * `States.ExceedToleratedFailureThreshold`, as a Distributed Map with no tolerated failures does.
 */
export function replaceDistributedMaps(states: Record<string, Json>, maps: Map<string, Json>): Record<string, Json> {
  return Object.fromEntries(
    Object.entries(states).map(([name, state]) => {
      if (state.Type === 'Parallel') return [name, { ...state, Branches: state.Branches.map((branch: Json) => ({ ...branch, States: replaceDistributedMaps(branch.States, maps) })) }];
      if (state.Type !== 'Map') return [name, state];
      const processor = { ...state.ItemProcessor, States: replaceDistributedMaps(state.ItemProcessor.States, maps) };
      if (state.ItemProcessor.ProcessorConfig?.Mode !== 'DISTRIBUTED') return [name, { ...state, ItemProcessor: processor }];
      if (state.ToleratedFailurePercentage || state.ToleratedFailureCount || state.ResultWriter) throw new Error(`${name}: tolerated failures and ResultWriter are not supported by this runner`);
      if (state.ItemReader && state.ItemSelector) throw new Error(`${name}: an ItemSelector with an ItemReader is not supported by this runner`);
      const { Label: _label, ...map } = state;
      maps.set(name, { ...map, ItemProcessor: { ...processor, ProcessorConfig: { Mode: 'INLINE' } } });
      const kept = ['Comment', 'InputPath', 'ResultSelector', 'ResultPath', 'OutputPath', 'Retry', 'Catch', 'Next', 'End'];
      return [name, { Type: 'Task', Resource: DISTRIBUTED_MAP, ...Object.fromEntries(kept.filter((k) => k in state).map((k) => [k, state[k]])) }];
    }),
  );
}

/** Every state, those inside Map processors and Parallel branches included. */
function allStates(states: Record<string, Json>): [string, Json][] {
  const nested = (state: Json): Record<string, Json>[] =>
    state.Type === 'Map' ? [state.ItemProcessor.States] : state.Type === 'Parallel' ? state.Branches.map((branch: Json) => branch.States) : [];
  return Object.entries(states).flatMap(([name, state]) => [[name, state] as [string, Json], ...nested(state).flatMap((inner) => allStates(inner))]);
}

/** The error an execution failed with: the interpreter wraps it (a Fail state's, or a task's that no Catch took) in an ExecutionError. */
function executionFailure(error: unknown): { name?: string; message?: string } {
  return ((error as { name?: string }).name === 'ExecutionError' ? (error as { cause: unknown }).cause : error) as { name?: string; message?: string };
}

/** Step Functions' documented item for each object of an S3 ListObjectsV2 item reader. */
interface ListedObject {
  Key: string;
  Size: number;
  Etag: string;
  LastModified: number;
  StorageClass: string;
}

/** Items cut into batches as ItemBatcher does: at most MaxItemsPerBatch items, and MaxInputBytesPerBatch bytes (256 KiB). */
function batched(items: ListedObject[], batcher: Json, batchInput: Json): Json[] {
  if (!batcher) return items;
  const maxItems = batcher.MaxItemsPerBatch ?? Number.POSITIVE_INFINITY;
  const maxBytes = batcher.MaxInputBytesPerBatch ?? 256 * 1024;
  const batches: Json[] = [];
  let current: ListedObject[] = [];
  const size = (batch: ListedObject[]) => Buffer.byteLength(JSON.stringify({ BatchInput: batchInput, Items: batch }));
  for (const item of items) {
    if (current.length > 0 && (current.length >= maxItems || size([...current, item]) > maxBytes)) {
      batches.push({ BatchInput: batchInput, Items: current });
      current = [];
    }
    current.push(item);
  }
  if (current.length > 0) batches.push({ BatchInput: batchInput, Items: current });
  return batches;
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
      const variables = (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      const own = resolve(this.deployment, withLocalNames(variables, this.options.physicalIds ?? {})) as Record<string, unknown>;
      const env = { ...Object.fromEntries(Object.entries(own).map(([k, v]) => [k, String(v)])), ...this.options.environment };
      const previous = fn;
      fn = new LocalFunction(id, file, env);
      fn.invocations = previous?.invocations ?? 0;
      this.functions.set(id, fn);
    }
    return fn;
  }

  /** A local handler per task of the definition: Lambda (direct ARNs and `lambda:invoke`) and the Distributed Map stand-ins. */
  private taskHandlers(states: Record<string, Json>, maps: Map<string, Json>): Record<string, (input: Json) => Promise<Json>> {
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    for (const [name, state] of allStates(states)) {
      if (state.Type !== 'Task') continue;
      const resource = String(state.Resource);
      if (resource === DISTRIBUTED_MAP) {
        handlers[name] = (input) => this.distributedMap(name, maps.get(name), input, maps);
        continue;
      }
      const optimized = resource === 'arn:aws:states:::lambda:invoke';
      if (!optimized && !/^arn:aws:lambda:[^:]+:\d{12}:function:/.test(resource)) throw new Error(`${name}: task resource ${resource} is not supported by this runner`);
      handlers[name] = async (input) => {
        const arn = optimized ? String(input.FunctionName) : resource;
        const event = optimized ? input.Payload : input;
        const fn = this.functionFor(arn);
        await this.options.beforeInvoke?.(fn.logicalId, event);
        const running = fn.invoke(event, this.options.remainingMs?.(fn.logicalId, event) ?? 900_000, this.options.msPerCheck);
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

  /** Runs a definition in the interpreter with this runner's task handlers; retries and waits take no time. */
  private execute(definition: Json, input: Json, maps: Map<string, Json>): Promise<Json> {
    const machine = new StateMachine(definition, { validationOptions: { checkArn: false } });
    const states = allStates(definition.States);
    const retryIntervalOverrides = Object.fromEntries(states.filter(([, s]) => s.Retry).map(([name]) => [name, 0]));
    // Waits (for a backup, a restore) last 10 ms: the emulated services are done when asked again.
    const waitTimeOverrides = Object.fromEntries(states.filter(([, s]) => s.Type === 'Wait').map(([name]) => [name, 10]));
    return machine.run(input, { overrides: { taskResourceLocalHandlers: this.taskHandlers(definition.States, maps), retryIntervalOverrides, waitTimeOverrides } }).result;
  }

  /** A Distributed Map, as an inline Map over its items or over what its item reader lists. */
  private async distributedMap(name: string, map: Json, input: Json, maps: Map<string, Json>): Promise<Json> {
    const { ItemReader, ItemBatcher, ResultPath: _r, ResultSelector: _s, OutputPath: _o, InputPath: _i, Retry: _retry, Catch: _catch, Next: _next, End: _end, ...inline } = map;
    let mapInput = input;
    if (ItemReader) {
      // The reader's parameters and the batch input are paths into the state's input: the interpreter evaluates them.
      const evaluate = { Type: 'Pass', Parameters: { reader: ItemReader.Parameters ?? {}, batchInput: ItemBatcher?.BatchInput ?? {} }, End: true };
      const evaluated = await this.execute({ StartAt: 'Evaluate', States: { Evaluate: evaluate } }, input, maps);
      mapInput = { items: batched(await this.readItems(name, ItemReader, evaluated.reader), ItemBatcher, evaluated.batchInput) };
      inline.ItemsPath = '$.items';
    }
    try {
      return await this.execute({ StartAt: name, States: { [name]: { ...inline, End: true } } }, mapInput, maps);
    } catch (error) {
      const cause = executionFailure(error);
      throw Object.assign(new Error(`a child of ${name} failed with ${cause.name}: ${cause.message}`), { name: 'States.ExceedToleratedFailureThreshold' });
    }
  }

  private async readItems(name: string, reader: Json, parameters: Json): Promise<ListedObject[]> {
    if (!/:states:::s3:listObjectsV2$/.test(String(reader.Resource))) throw new Error(`${name}: item reader ${reader.Resource} is not supported by this runner`);
    if (!this.options.s3) throw new Error(`${name}: an S3 item reader needs the runner's s3 client`);
    const items: ListedObject[] = [];
    for await (const page of paginateListObjectsV2({ client: this.options.s3 }, { Bucket: parameters.Bucket, Prefix: parameters.Prefix })) {
      for (const object of page.Contents ?? []) {
        items.push({ Key: object.Key!, Size: object.Size ?? 0, Etag: object.ETag ?? '', LastModified: Math.floor((object.LastModified?.getTime() ?? 0) / 1000), StorageClass: object.StorageClass ?? 'STANDARD' });
      }
    }
    const max = reader.ReaderConfig?.MaxItems;
    return max ? items.slice(0, max) : items;
  }

  /** Executes a state machine to its end; retries wait no time. */
  async run(prefix: string, input: Json): Promise<Execution> {
    const definition = this.definition(prefix);
    const maps = new Map<string, Json>();
    const states = replaceDistributedMaps(definition.States, maps);
    const invocations = () => Object.fromEntries([...this.functions.values()].map((f) => [f.logicalId, f.invocations]));
    try {
      return { status: 'SUCCEEDED', output: await this.execute({ ...definition, States: states }, input, maps), invocations: invocations() };
    } catch (error) {
      const failure = executionFailure(error);
      return { status: 'FAILED', error: failure.name, cause: failure.message, invocations: invocations() };
    }
  }

  /**
   * Delivers an event to a rule of the template, as EventBridge does: when the rule's EventPattern
   * matches (a schedule rule takes every event), each Lambda target gets its input (the event, or
   * the target's constant `Input`, or the part at its `InputPath`) and runs its deployed asset.
   * Returns each target's result; no results when the pattern does not match.
   */
  async deliver(rulePrefix: string, event: Json): Promise<Json[]> {
    const rule = this.template.Resources[this.logicalId('AWS::Events::Rule', rulePrefix)].Properties!;
    if (rule.EventPattern && !matchesPattern(rule.EventPattern as Record<string, unknown>, event)) return [];
    const results: Json[] = [];
    for (const target of rule.Targets as { Arn: unknown; Input?: string; InputPath?: string; InputTransformer?: unknown }[]) {
      if (target.InputTransformer) throw new Error(`${rulePrefix}: input transformers are not supported by this runner`);
      if (target.InputPath && !/^\$(\.[A-Za-z0-9_-]+)*$/.test(target.InputPath)) throw new Error(`${rulePrefix}: InputPath ${target.InputPath} is not supported by this runner`);
      const input = target.Input !== undefined ? JSON.parse(target.Input) : target.InputPath ? target.InputPath.split('.').slice(1).reduce((v, key) => v?.[key], event) : event;
      const fn = this.functionFor(String(resolve(this.deployment, target.Arn)));
      await this.options.beforeInvoke?.(fn.logicalId, input);
      results.push(await fn.invoke(input, this.options.remainingMs?.(fn.logicalId, input) ?? 900_000, this.options.msPerCheck));
    }
    return results;
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
