/**
 * What passes between a construct and the Lambda handler it deploys, defined once: each handler's
 * environment variables and the steps its state machine sends it. The construct encodes with these
 * definitions at synth, the handler decodes with the same ones, and a missing or malformed value
 * fails with a message that names it.
 */
import { z } from 'zod';

/** The handlers the library ships prebuilt, one asset folder each (`assets/handlers/<name>`). */
/** The error a hydration worker throws when it refuses a job before writing anything; the state machine does not retry it. */
export const HYDRATE_REFUSED_ERROR = 'HydrateRefusedError';

/** The error a bucket hydration worker throws when objects differ between source and target; not retried. */
export const HYDRATION_MISMATCH_ERROR = 'HydrationMismatch';

export const HANDLER_NAMES = ['freshness-check', 'cognito-export', 'restore-validation', 'hydrate-table', 'hydrate-bucket', 'recover-control', 'recover-sync', 'systemic-failures'] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

/** A value passed to a handler that is missing or does not have the shape both sides agreed on. */
export class HandlerContractError extends Error {
  constructor(
    readonly handler: string,
    readonly problems: readonly string[],
  ) {
    super(`${handler}: ${problems.length === 1 ? problems[0] : ['the input is not what the construct sends:', ...problems.map((p) => `  ${p}`)].join('\n')}`);
    this.name = 'HandlerContractError';
  }
}

const zodProblems = (where: string, error: z.ZodError) => error.issues.map((issue) => `${[where, ...issue.path.map(String)].join('.')}: ${issue.message}`);

/** A variable's text form: plain strings stay as they are, anything else is JSON. */
type Variable = { readonly schema: z.ZodType; readonly text: boolean };
const text = <T extends z.ZodType>(schema: T) => ({ schema, text: true as const });
const json = <T extends z.ZodType>(schema: T) => ({ schema, text: false as const });

type Values<V extends Record<string, Variable>> = { [K in keyof V]: z.output<V[K]['schema']> };
type Inputs<V extends Record<string, Variable>> = {
  [K in keyof V as undefined extends z.input<V[K]['schema']> ? never : K]: z.input<V[K]['schema']>;
} & { [K in keyof V as undefined extends z.input<V[K]['schema']> ? K : never]?: z.input<V[K]['schema']> };

/** One handler's environment variables: the construct encodes them, the handler decodes them. */
export class HandlerEnvironment<V extends Record<string, Variable>> {
  constructor(
    readonly handler: HandlerName,
    private readonly variables: V,
  ) {}

  /** The variable names, as they appear in the function's configuration. */
  get names(): string[] {
    return Object.keys(this.variables);
  }

  /** The variables for the function's configuration; values that break the contract fail at synth. */
  encode(values: Inputs<V>, stringify: (value: unknown) => string = JSON.stringify): Record<string, string> {
    const problems: string[] = [];
    const environment: Record<string, string> = {};
    for (const [name, variable] of Object.entries(this.variables)) {
      const value = (values as Record<string, unknown>)[name];
      if (value === undefined) {
        if (!variable.schema.safeParse(undefined).success) problems.push(`${name}: required`);
        continue;
      }
      const parsed = variable.schema.safeParse(value);
      if (!parsed.success) problems.push(...zodProblems(name, parsed.error));
      environment[name] = variable.text ? String(value) : stringify(value);
    }
    if (problems.length > 0) throw new HandlerContractError(this.handler, problems);
    return environment;
  }

  /** The variables read from `environment` (the process's), every problem named at once. */
  decode(environment: Readonly<Record<string, string | undefined>> = process.env): Values<V> {
    const problems: string[] = [];
    const values: Record<string, unknown> = {};
    for (const [name, variable] of Object.entries(this.variables)) {
      const raw = environment[name];
      let value: unknown = raw;
      if (raw !== undefined && !variable.text) {
        try {
          value = JSON.parse(raw);
        } catch {
          problems.push(`environment variable ${name}: not JSON (${JSON.stringify(raw.slice(0, 80))})`);
          continue;
        }
      }
      const parsed = variable.schema.safeParse(value);
      if (parsed.success) values[name] = parsed.data;
      else problems.push(raw === undefined ? `environment variable ${name} is missing` : zodProblems(`environment variable ${name}`, parsed.error).join('; '));
    }
    if (problems.length > 0) throw new HandlerContractError(this.handler, problems);
    return values as Values<V>;
  }
}

const nonEmpty = z.string().min(1, 'must not be empty');

/** The freshness check: categories to check and the margin past each RPO. */
export const FRESHNESS_CHECK_ENVIRONMENT = new HandlerEnvironment('freshness-check', {
  CATEGORIES: json(
    z.record(
      z.string(),
      z.object({
        rpoHours: z.number().positive(),
        copies: z.boolean(),
        schedule: z.string().optional(),
        startWindowMinutes: z.number().int().positive().optional(),
        completionWindowMinutes: z.number().int().positive().optional(),
      }),
    ),
  ),
  MARGIN_HOURS: json(z.number().nonnegative().default(1)),
  SLOW_JOB_SHARE: json(z.number().positive().max(1).default(0.8)),
  /** The local vaults whose recovery points are counted and sized. */
  VAULTS: json(z.array(nonEmpty).default([])),
  /** Each category's retention, for the retention-compliance count. */
  RETENTION_DAYS: json(z.record(z.string(), z.number().int().positive()).default({})),
});

/** The systemic-failure check: the window and the categories whose copies it watches. */
export const SYSTEMIC_FAILURES_ENVIRONMENT = new HandlerEnvironment('systemic-failures', {
  WINDOW_MINUTES: json(z.number().int().positive()),
  COPYING_CATEGORIES: json(z.array(nonEmpty)),
});

/** The Cognito export: the pools, where their files go, the call rates and the hand-over time. */
export const COGNITO_EXPORT_ENVIRONMENT = new HandlerEnvironment('cognito-export', {
  USER_POOL_IDS: json(z.array(nonEmpty).min(1, 'names no user pool')),
  EXPORT_BUCKET: text(nonEmpty),
  EXPORT_PREFIX: text(z.string()),
  RATE_LIMITS: json(z.record(z.string(), z.number().positive()).default({})),
  /** Time kept in hand to finish the current part and save the checkpoint. */
  HANDOVER_MS: json(z.number().int().positive().default(90_000)),
  /** Path-style S3 addressing, for S3-compatible servers. */
  S3_PATH_STYLE: json(z.boolean().default(false)),
});

/** How a restore test's restored resource is judged: the plans of this stack, by name. */
export const RESTORE_TEST_PLAN_SCHEMA = z.object({ category: nonEmpty, rtoHours: z.number().positive() });

/** Restore validation: the restore testing plans it answers for and the item count tolerance. */
export const RESTORE_VALIDATION_ENVIRONMENT = new HandlerEnvironment('restore-validation', {
  RESTORE_TEST_PLANS: json(z.record(z.string(), RESTORE_TEST_PLAN_SCHEMA)),
  COUNT_TOLERANCE: json(z.number().min(0).max(1).default(0.1)),
});

/** How the table is backed up before an in-place recovery changes anything. */
export const PRE_RECOVERY_BACKUP_SCHEMA = z.discriminatedUnion('kind', [
  /** A DynamoDB on-demand backup (kept until deleted). */
  z.object({ kind: z.literal('dynamodb') }),
  /** An AWS Backup on-demand job into a vault (the table's category vault), with that vault's lock and the given retention. */
  z.object({ kind: z.literal('aws-backup'), vaultName: nonEmpty, roleArn: nonEmpty, deleteAfterDays: z.number().int().positive().optional() }),
  /** No backup, for a reason that goes into the report (for example a policy that allows copies only in a locked vault). */
  z.object({ kind: z.literal('none'), reason: nonEmpty }),
]);
export type PreRecoveryBackup = z.output<typeof PRE_RECOVERY_BACKUP_SCHEMA>;

/** The recovery control function: its one table, how it is backed up, the functions recovery mode pauses. */
export const RECOVER_CONTROL_ENVIRONMENT = new HandlerEnvironment('recover-control', {
  TABLE_NAME: text(nonEmpty),
  PRE_RECOVERY_BACKUP: json(PRE_RECOVERY_BACKUP_SCHEMA.default({ kind: 'dynamodb' })),
  PAUSE_FUNCTIONS: json(z.array(nonEmpty).default([])),
});

/**
 * The steps a state machine sends a handler, each with the fields it carries. The construct names
 * steps with these constants; the handler checks the event against the same definition.
 */
export class HandlerSteps<S extends Record<string, readonly string[]>> {
  constructor(
    readonly handler: HandlerName,
    private readonly steps: S,
  ) {}

  /** The step names, for the construct's task payloads. */
  get names(): { readonly [K in keyof S]: K } {
    return Object.fromEntries(Object.keys(this.steps).map((k) => [k, k])) as { [K in keyof S]: K };
  }

  /** Checks that `event` is one of the steps and carries the step's fields; names what is wrong. */
  check<E extends { step: string }>(event: unknown): E {
    const step = (event as { step?: unknown } | null | undefined)?.step;
    if (typeof step !== 'string' || !Object.prototype.hasOwnProperty.call(this.steps, step)) {
      throw new HandlerContractError(this.handler, [`event.step is ${JSON.stringify(step)}; expected one of ${Object.keys(this.steps).join(', ')}`]);
    }
    const missing = this.steps[step].filter((field) => (event as Record<string, unknown>)[field] === undefined);
    if (missing.length > 0) throw new HandlerContractError(this.handler, missing.map((field) => `event.${field} is missing (step ${step})`));
    return event as E;
  }
}

export const HYDRATE_TABLE_STEPS = new HandlerSteps('hydrate-table', {
  plan: ['job'],
  copy: ['task'],
  checksum: ['task'],
  verify: ['source', 'target', 'copied', 'readBack'],
});

export const HYDRATE_BUCKET_STEPS = new HandlerSteps('hydrate-bucket', {
  copy: ['batch', 'items'],
  verify: ['batch', 'items'],
});

export const RECOVER_CONTROL_STEPS = new HandlerSteps('recover-control', {
  check: ['input'],
  'backup-start': ['plan'],
  'backup-status': ['plan', 'backup'],
  'restore-start': ['plan'],
  'restore-status': ['plan'],
  pause: ['plan'],
  'resume-functions': ['plan'],
  remove: ['plan', 'verdict'],
});

export const RECOVER_SYNC_STEPS = new HandlerSteps('recover-sync', {
  sync: ['task'],
  checksum: ['task'],
  verify: ['source', 'target', 'synced', 'readBack'],
});
