import { describe, expect, it } from 'vitest';
import { backupScheduleProblems, parseAwsCron, runsBetween, scheduleIntervals } from 'retention-kit/policy';

const hours = (expr: string) => {
  const { minMinutes, maxMinutes } = scheduleIntervals(parseAwsCron(expr));
  return { min: minMinutes / 60, max: maxMinutes / 60 };
};

describe('AWS Backup schedule expressions', () => {
  it.each([
    ['cron(0 2 * * ? *)', 24, 24],
    ['cron(15 * ? * * *)', 1, 1],
    ['cron(0 0/6 * * ? *)', 6, 6],
    ['cron(0 5 ? * MON-FRI *)', 24, 72],
    ['cron(0 3 ? * SUN *)', 168, 168],
    ['cron(0 3 1 * ? *)', 28 * 24, 31 * 24],
    ['cron(0 3 L * ? *)', 28 * 24, 31 * 24],
  ])('%s runs between %i and %i hours apart', (expr, min, max) => {
    expect(hours(expr)).toEqual({ min, max });
  });

  it('finds the nth weekday and the last weekday of a month', () => {
    const start = new Date(Date.UTC(2026, 0, 1));
    const days = (expr: string) => runsBetween(parseAwsCron(expr), start, 62).map((m) => new Date(m * 60_000).toISOString().slice(0, 10));
    expect(days('cron(0 0 ? * 3#2 *)')).toEqual(['2026-01-13', '2026-02-10']); // second Tuesday
    expect(days('cron(0 0 ? * 6L *)')).toEqual(['2026-01-30', '2026-02-27']); // last Friday
    expect(days('cron(0 0 15W * ? *)')).toEqual(['2026-01-15', '2026-02-16']); // Feb 15 2026 is a Sunday
    expect(days('cron(0 0 LW * ? *)')).toEqual(['2026-01-30', '2026-02-27']);
  });

  it.each([
    ['rate(1 day)', 'not rate(...)'],
    ['0 2 * * ? *', 'must have the form cron('],
    ['cron(0 2 * * *)', 'has 5 fields'],
    ['cron(0 2 * * * *)', 'exactly one of day-of-month and day-of-week must be "?"'],
    ['cron(0 2 ? * ? *)', 'exactly one of day-of-month and day-of-week must be "?"'],
    ['cron(60 2 * * ? *)', 'minutes value 60 is outside 0-59'],
    ['cron(0 24 * * ? *)', 'hours value 24 is outside 0-23'],
    ['cron(0 2 * FOO ? *)', 'month value "FOO"'],
    ['cron(0/30 * * * ? *)', 'runs 30 minutes apart; AWS Backup needs at least 60 minutes'],
    ['cron(0 2 * * ? 2027)', 'must not end'],
    ['cron(0 2 5-1 * ? *)', 'runs backwards'],
  ])('refuses %s with a message that says why', (expr, message) => {
    const problems = backupScheduleProblems(expr);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('accepts the schedules AWS documents', () => {
    for (const expr of ['cron(0 2 * * ? *)', 'cron(15 * ? * * *)', 'cron(0 12 * * ? *)', 'cron(0 5 ? * MON-FRI *)']) {
      expect(backupScheduleProblems(expr)).toEqual([]);
    }
  });
});
