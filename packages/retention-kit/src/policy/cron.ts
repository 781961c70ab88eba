/**
 * AWS Backup schedule expressions: `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, UTC.
 *
 * AWS Backup takes only cron expressions (no `rate()`), with the EventBridge cron syntax, and refuses
 * schedules whose runs are less than 60 minutes apart. Validating here lets synth name the problem
 * instead of a CloudFormation rollback naming it an hour later.
 */

export class CronError extends Error {}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** The smallest gap between two runs that AWS Backup accepts. */
export const MIN_BACKUP_INTERVAL_MINUTES = 60;

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS = {
  minutes: { name: 'minutes', min: 0, max: 59 },
  hours: { name: 'hours', min: 0, max: 23 },
  dayOfMonth: { name: 'day-of-month', min: 1, max: 31 },
  month: { name: 'month', min: 1, max: 12, names: MONTHS },
  dayOfWeek: { name: 'day-of-week', min: 1, max: 7, names: DAYS },
  year: { name: 'year', min: 1970, max: 2199 },
} satisfies Record<string, FieldSpec>;

type DayRule = (date: Date) => boolean;

export interface ParsedCron {
  readonly expression: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** Undefined when every year matches. */
  readonly years?: ReadonlySet<number>;
  readonly matchesDay: DayRule;
}

function parseValue(raw: string, spec: FieldSpec): number {
  const upper = raw.toUpperCase();
  const named = spec.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + 1;
  if (!/^\d+$/.test(raw)) {
    const allowedNames = spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : '';
    throw new CronError(`${spec.name} value "${raw}" is not a number from ${spec.min} to ${spec.max}${allowedNames}`);
  }
  const value = Number(raw);
  if (value < spec.min || value > spec.max) {
    throw new CronError(`${spec.name} value ${value} is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

/** Parses `*`, `a`, `a-b`, with an optional `/step`, comma-separated, into the set of values. */
function parseNumericField(field: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const item of field.split(',')) {
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined || range === '') throw new CronError(`${spec.name} item "${item}" is malformed`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        throw new CronError(`${spec.name} step "${stepText}" must be a positive whole number`);
      }
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      from = parseValue(a, spec);
      to = parseValue(b, spec);
      if (from > to) throw new CronError(`${spec.name} range "${range}" runs backwards`);
    } else {
      from = parseValue(range, spec);
      to = stepText === undefined ? from : spec.max;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function nearestWeekday(year: number, month: number, day: number): number {
  const last = daysInMonth(year, month);
  const target = Math.min(day, last);
  const weekday = new Date(Date.UTC(year, month - 1, target)).getUTCDay();
  if (weekday === 6) return target === 1 ? 3 : target - 1; // Saturday: Friday, or Monday when the 1st
  if (weekday === 0) return target === last ? target - 2 : target + 1; // Sunday: Monday, or Friday at month end
  return target;
}

function parseDayOfMonth(field: string): DayRule {
  const spec = FIELDS.dayOfMonth;
  const rules: DayRule[] = [];
  const plain: string[] = [];
  for (const item of field.split(',')) {
    const upper = item.toUpperCase();
    if (upper === 'L') {
      rules.push((d) => d.getUTCDate() === daysInMonth(d.getUTCFullYear(), d.getUTCMonth() + 1));
    } else if (upper === 'LW') {
      rules.push((d) => {
        const y = d.getUTCFullYear();
        const m = d.getUTCMonth() + 1;
        return d.getUTCDate() === nearestWeekday(y, m, daysInMonth(y, m));
      });
    } else if (/^\d+W$/.test(upper)) {
      const day = parseValue(upper.slice(0, -1), spec);
      rules.push((d) => d.getUTCDate() === nearestWeekday(d.getUTCFullYear(), d.getUTCMonth() + 1, day));
    } else {
      plain.push(item);
    }
  }
  if (plain.length > 0) {
    const days = parseNumericField(plain.join(','), spec);
    rules.push((d) => days.has(d.getUTCDate()));
  }
  return (d) => rules.some((rule) => rule(d));
}

function parseDayOfWeek(field: string): DayRule {
  const spec = FIELDS.dayOfWeek;
  const rules: DayRule[] = [];
  const plain: string[] = [];
  const awsWeekday = (d: Date) => d.getUTCDay() + 1;
  for (const item of field.split(',')) {
    const upper = item.toUpperCase();
    if (upper === 'L') {
      rules.push((d) => awsWeekday(d) === 7);
    } else if (/^[A-Z0-9]+L$/.test(upper)) {
      const weekday = parseValue(upper.slice(0, -1), spec);
      rules.push((d) => {
        const last = daysInMonth(d.getUTCFullYear(), d.getUTCMonth() + 1);
        return awsWeekday(d) === weekday && d.getUTCDate() + 7 > last;
      });
    } else if (upper.includes('#')) {
      const [dayText, nthText] = upper.split('#');
      const weekday = parseValue(dayText, spec);
      if (!/^[1-5]$/.test(nthText ?? '')) throw new CronError(`day-of-week "${item}": the number after # must be 1-5`);
      const nth = Number(nthText);
      rules.push((d) => awsWeekday(d) === weekday && Math.ceil(d.getUTCDate() / 7) === nth);
    } else {
      plain.push(item);
    }
  }
  if (plain.length > 0) {
    const days = parseNumericField(plain.join(','), spec);
    rules.push((d) => days.has(awsWeekday(d)));
  }
  return (d) => rules.some((rule) => rule(d));
}

/** Parses an AWS cron expression, throwing a CronError that says what is wrong and how to write it. */
export function parseAwsCron(expression: string): ParsedCron {
  const trimmed = expression.trim();
  if (/^rate\(/i.test(trimmed)) {
    throw new CronError('AWS Backup takes only cron(...) expressions, not rate(...); daily at 02:00 UTC is cron(0 2 * * ? *)');
  }
  const match = /^cron\((.*)\)$/i.exec(trimmed);
  if (!match) throw new CronError('must have the form cron(minutes hours day-of-month month day-of-week year)');
  const parts = match[1].trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new CronError(`has ${parts.length} fields; AWS cron takes 6 (minutes hours day-of-month month day-of-week year), e.g. cron(0 2 * * ? *)`);
  }
  const [min, hour, dom, month, dow, year] = parts;
  if ((dom === '?') === (dow === '?')) {
    throw new CronError('exactly one of day-of-month and day-of-week must be "?" (e.g. cron(0 2 * * ? *) or cron(0 2 ? * MON *))');
  }
  for (const [value, spec] of [[min, FIELDS.minutes], [hour, FIELDS.hours], [month, FIELDS.month], [year, FIELDS.year]] as const) {
    if (value === '?') throw new CronError(`"?" is allowed only in day-of-month or day-of-week, not in ${spec.name}`);
  }
  const years = year === '*' ? undefined : parseNumericField(year, FIELDS.year);
  return {
    expression: trimmed,
    minutes: parseNumericField(min, FIELDS.minutes),
    hours: parseNumericField(hour, FIELDS.hours),
    months: parseNumericField(month, FIELDS.month),
    years,
    matchesDay: dom === '?' ? parseDayOfWeek(dow) : parseDayOfMonth(dom),
  };
}

/** Every run of the schedule from `start` (inclusive) for `days` days, in epoch minutes, ascending. */
export function runsBetween(cron: ParsedCron, start: Date, days: number): number[] {
  const runs: number[] = [];
  const minutes = [...cron.minutes].sort((a, b) => a - b);
  const hours = [...cron.hours].sort((a, b) => a - b);
  for (let i = 0; i < days; i++) {
    const day = new Date(start.getTime() + i * 86_400_000);
    if (!cron.months.has(day.getUTCMonth() + 1)) continue;
    if (cron.years && !cron.years.has(day.getUTCFullYear())) continue;
    if (!cron.matchesDay(day)) continue;
    const dayMinute = day.getTime() / 60_000;
    for (const h of hours) for (const m of minutes) runs.push(dayMinute + h * 60 + m);
  }
  return runs;
}

export interface ScheduleIntervals {
  /** Shortest gap between two runs, in minutes. */
  readonly minMinutes: number;
  /** Longest gap between two runs, in minutes: the worst-case recovery point age just before a run. */
  readonly maxMinutes: number;
}

// Four years from a fixed start: covers a leap day and keeps the result the same on every machine and date.
const ANALYSIS_START = new Date(Date.UTC(2025, 0, 1));
const ANALYSIS_DAYS = 4 * 365 + 1;

/** The shortest and longest gaps between runs; maxMinutes is Infinity for a schedule that runs under twice in four years. */
export function scheduleIntervals(cron: ParsedCron): ScheduleIntervals {
  const runs = runsBetween(cron, ANALYSIS_START, ANALYSIS_DAYS);
  if (runs.length < 2) return { minMinutes: Infinity, maxMinutes: Infinity };
  let minMinutes = Infinity;
  let maxMinutes = 0;
  for (let i = 1; i < runs.length; i++) {
    const gap = runs[i] - runs[i - 1];
    minMinutes = Math.min(minMinutes, gap);
    maxMinutes = Math.max(maxMinutes, gap);
  }
  return { minMinutes, maxMinutes };
}

/**
 * Checks an AWS Backup schedule: syntax, a schedule that keeps running (no fixed year), and the
 * 60-minute minimum between runs. Returns the problems, empty when AWS Backup will take it.
 */
export function backupScheduleProblems(expression: string): string[] {
  let cron: ParsedCron;
  try {
    cron = parseAwsCron(expression);
  } catch (e) {
    if (e instanceof CronError) return [e.message];
    throw e;
  }
  if (cron.years) return ['a retention schedule must not end: use * for the year'];
  const { minMinutes } = scheduleIntervals(cron);
  if (minMinutes < MIN_BACKUP_INTERVAL_MINUTES) {
    return [`runs ${minMinutes} minutes apart; AWS Backup needs at least ${MIN_BACKUP_INTERVAL_MINUTES} minutes between runs`];
  }
  return [];
}
