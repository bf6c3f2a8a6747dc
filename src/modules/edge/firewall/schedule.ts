/**
 * Schedules: AiFw's time ranges ("HH:MM-HH:MM", several comma-separated) on days of the week, evaluated in the box's
 * time zone. A range whose end is not after its start wraps past midnight: it starts on a listed day and ends on the
 * next (22:00-06:00 on fri covers Friday 22:00 to Saturday 06:00). Evaluation asks Intl for the wall time at the
 * instant in the zone, so daylight-saving changes and zone changes are exact; the scheduler re-evaluates on every
 * minute of its clock and re-renders when the set of active schedules changes, which is at a window's boundary.
 */
import { errors } from '../../../core/errors.js';

export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const DAY_NAMES: Record<string, number> = {
  sun: 0, sunday: 0, mon: 1, monday: 1, tue: 2, tues: 2, tuesday: 2, wed: 3, wednesday: 3, thu: 4, thur: 4, thurs: 4, thursday: 4,
  fri: 5, friday: 5, sat: 6, saturday: 6,
};

export interface Window {
  start: number;
  end: number;
}

/** "HH:MM-HH:MM[,...]" (or an array of them) to canonical text; throws a 400 naming the bad range. */
export function parseTimeRanges(v: unknown): string {
  const parts = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : null;
  if (!parts || parts.length === 0) throw errors.validation('time_ranges is required: "HH:MM-HH:MM", comma separated');
  return parts
    .map((p) => {
      if (typeof p !== 'string') throw errors.validation('time_ranges entries must be strings');
      const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(p);
      if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3]) > 24 || Number(m[4]) > 59 || (Number(m[3]) === 24 && Number(m[4]) !== 0)) {
        throw errors.validation(`invalid time range ${JSON.stringify(p)}: HH:MM-HH:MM`);
      }
      const pad = (n: string) => n.padStart(2, '0');
      return `${pad(m[1])}:${m[2]}-${pad(m[3])}:${m[4]}`;
    })
    .join(',');
}

export function parseDays(v: unknown): string {
  if (v === undefined || v === null || v === '') return DAYS.slice(1).concat('sun').join(',');
  const parts = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : null;
  if (!parts) throw errors.validation('days_of_week must be "mon,tue,..."');
  const days = new Set<number>();
  for (const p of parts) {
    const d = typeof p === 'string' ? DAY_NAMES[p.trim().toLowerCase()] : undefined;
    if (d === undefined) throw errors.validation(`unknown day ${JSON.stringify(p)}: mon tue wed thu fri sat sun`);
    days.add(d);
  }
  return [1, 2, 3, 4, 5, 6, 0].filter((d) => days.has(d)).map((d) => DAYS[d]).join(',');
}

export function windowsOf(ranges: string): Window[] {
  return ranges.split(',').map((r) => {
    const [a, b] = r.split('-');
    const min = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
    return { start: min(a), end: min(b) };
  });
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Validates an IANA zone name (Intl knows it). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The wall clock at an instant in a zone: weekday (0 = Sunday) and minute of the day. */
export function wallClock(at: Date, zone: string): { day: number; minute: number } {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  const day = DAY_NAMES[String(parts.weekday).toLowerCase()];
  return { day, minute: Number(parts.hour) * 60 + Number(parts.minute) };
}

/** Whether a schedule's windows cover the instant, in the zone. */
export function scheduleActive(s: { time_ranges: string; days_of_week: string; enabled: boolean }, at: Date, zone: string): boolean {
  if (!s.enabled) return false;
  const { day, minute } = wallClock(at, zone);
  const days = new Set(s.days_of_week.split(',').map((d) => DAY_NAMES[d]));
  const yesterday = (day + 6) % 7;
  return windowsOf(s.time_ranges).some(({ start, end }) => {
    if (start === end) return days.has(day); // a full day
    if (start < end) return days.has(day) && minute >= start && minute < end;
    // Wraps past midnight: the evening of a listed day, or the morning after one.
    return (days.has(day) && minute >= start) || (days.has(yesterday) && minute < end);
  });
}
