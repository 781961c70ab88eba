/**
 * RDS/Aurora backup and maintenance windows: the formats the engine takes, and whether they
 * overlap (which the engine refuses).
 */
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WEEK = 7 * 24 * 60;

const minuteOfDay = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Problems with a daily backup window `hh:mm-hh:mm` (UTC, at least 30 minutes). */
export function backupWindowProblems(window: string): string[] {
  const m = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/.exec(window);
  if (!m) return [`backup window ${JSON.stringify(window)} must have the form hh:mm-hh:mm (UTC), e.g. 03:00-04:00`];
  const [from, to] = window.split('-').map(minuteOfDay);
  const length = (to - from + 24 * 60) % (24 * 60);
  return length >= 30 ? [] : [`backup window ${window} lasts ${length} minutes; RDS needs at least 30`];
}

/** Problems with a weekly maintenance window `ddd:hh:mm-ddd:hh:mm` (UTC, at least 30 minutes). */
export function maintenanceWindowProblems(window: string): string[] {
  const m = /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/.exec(window.toLowerCase());
  if (!m) return [`maintenance window ${JSON.stringify(window)} must have the form ddd:hh:mm-ddd:hh:mm (UTC), e.g. sun:05:00-sun:06:00`];
  const [from, to] = weekly(window);
  const length = (to - from + WEEK) % WEEK;
  return length >= 30 ? [] : [`maintenance window ${window} lasts ${length} minutes; RDS needs at least 30`];
}

function weekly(window: string): [number, number] {
  const [a, b] = window.toLowerCase().split('-');
  const at = (part: string) => DAYS.indexOf(part.slice(0, 3)) * 24 * 60 + minuteOfDay(part.slice(4));
  return [at(a), at(b)];
}

/** Minute-of-week intervals, split where they wrap past the end of the week. */
function intervals(from: number, to: number): [number, number][] {
  return to > from ? [[from, to]] : [[from, WEEK], [0, to]];
}

/** Whether the daily backup window meets the weekly maintenance window (RDS refuses overlapping windows). */
export function windowsOverlap(backupWindow: string, maintenanceWindow: string): boolean {
  const [bFrom, bTo] = backupWindow.split('-').map(minuteOfDay);
  const [mFrom, mTo] = weekly(maintenanceWindow);
  const maintenance = intervals(mFrom, mTo);
  for (let day = 0; day < 7; day++) {
    const start = day * 24 * 60 + bFrom;
    const end = day * 24 * 60 + bTo + (bTo <= bFrom ? 24 * 60 : 0);
    for (const [f, t] of intervals(start % WEEK, end % WEEK === 0 ? WEEK : end % WEEK)) {
      if (maintenance.some(([mf, mt]) => f < mt && mf < t)) return true;
    }
  }
  return false;
}
