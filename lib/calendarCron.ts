// A job's schedule on ECS: the systemd OnCalendar expression the host's timer would use (lib/calendar.ts),
// translated to an EventBridge Scheduler `cron(...)` expression that fires at exactly the same minutes,
// or a reason why there is none. Config validation refuses a schedule without one (naming the key)
// before any cloud call; the EcsApps component builds its schedules with the same function. Pure: no
// Pulumi, no I/O.
import { calendarProblem } from "./calendar";
//
// systemd 252 (systemd.time(7), checked with `systemd-analyze calendar`):
//   [WEEKDAYS] [[YEAR-]MONTH-DAY | [YEAR-]MONTH~DAY] [HOUR:MINUTE[:SECOND]] [UTC | Area/City]
//   weekday and date must both hold; `N/S` is N, N+S, ... and systemd refuses it when N+S is past the
//   field's end; `N..M/S` stops at M; `*/S` and descending weekday ranges are refused; `~01` is the
//   month's last day; no zone means the host's clock, which is UTC on Berth's hosts (Ubuntu's cloud
//   images; Berth sets no other zone).
// Scheduler (EventBridge "Cron expressions reference"):
//   cron(minutes hours day-of-month month day-of-week year), minute precision, day-of-week 1-7 = SUN-SAT,
//   one of day-of-month and day-of-week must be `?`, `L` = the month's last day, `D#n` = the n-th weekday
//   D of the month, evaluated in `ScheduleExpressionTimezone`.

/** A Scheduler schedule: its `scheduleExpression` and `scheduleExpressionTimezone`. */
export interface SchedulerCron {
  /** `cron(minutes hours day-of-month month day-of-week year)`. */
  readonly expression: string;
  /** `UTC` or an IANA zone such as `Europe/Berlin`. */
  readonly timezone: string;
}

/** The translation of one schedule, or why there is none. */
export type CronTranslation = { readonly cron: SchedulerCron; readonly problem?: undefined } | { readonly cron?: undefined; readonly problem: string };

/** What an ECS job's schedule may be, for messages. */
export const ECS_SCHEDULE_RULE =
  "on ECS a schedule must have an exact EventBridge Scheduler cron form: whole minutes (seconds 00), weekdays or a day of the month but not both (except one weekday with a day range of one week, e.g. Mon *-*-01..07 = the first Monday), ~01 as the only last-day form, in UTC, no zone, or an Area/City zone";

/** systemd's shorthands in the long form systemd itself normalizes them to. */
const SHORTHANDS: Readonly<Record<string, string>> = {
  minutely: "*-*-* *:*:00",
  hourly: "*-*-* *:00:00",
  daily: "*-*-* 00:00:00",
  weekly: "Mon *-*-* 00:00:00",
  monthly: "*-*-01 00:00:00",
  quarterly: "*-01,04,07,10-01 00:00:00",
  semiannually: "*-01,07-01 00:00:00",
  yearly: "*-01-01 00:00:00",
  annually: "*-01-01 00:00:00",
};

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const FULL_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
/** Scheduler's day-of-week names by its own number (SUN = 1 .. SAT = 7). */
const CRON_DAYS = ["", "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
/** Scheduler's number of each weekday, by systemd's index (Mon = 0 .. Sun = 6). */
const CRON_DAY_NUMBER = [2, 3, 4, 5, 6, 7, 1];

/** A field's range of values. */
interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
}
const MINUTE: Field = { name: "minute", min: 0, max: 59 };
const HOUR: Field = { name: "hour", min: 0, max: 23 };
const SECOND: Field = { name: "second", min: 0, max: 59 };
const DAY: Field = { name: "day", min: 1, max: 31 };
const MONTH: Field = { name: "month", min: 1, max: 12 };
const YEAR: Field = { name: "year", min: 1970, max: 2199 };

class Untranslatable extends Error {}

function refuse(why: string): never {
  throw new Untranslatable(why);
}

/** The values one systemd component (`*`, `5`, `1..5`, `0/15`, `1..9/2`, lists of these) stands for. */
function componentValues(text: string, f: Field): number[] {
  const out = new Set<number>();
  for (const item of text.split(",")) {
    if (item === "*") {
      for (let v = f.min; v <= f.max; v++) out.add(v);
      continue;
    }
    const [range, stepText] = item.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (range === "*") refuse(`"${item}": systemd refuses */${stepText} (write ${f.min}/${stepText})`);
    const ends = range.split("..").map(Number);
    if (ends.some((n) => !Number.isInteger(n) || n < f.min || n > f.max) || !Number.isInteger(step) || step < 1)
      refuse(`"${item}" is not a ${f.name} of ${f.min}-${f.max}`);
    const start = ends[0];
    // `N/S` without an end runs to the field's end; systemd refuses it when even N+S is past that end.
    if (ends.length === 1 && stepText !== undefined && start + step > f.max)
      refuse(`"${item}": systemd refuses a repetition whose second value (${start + step}) is past the ${f.name}'s last (${f.max})`);
    const end = ends.length === 2 ? ends[1] : stepText === undefined ? start : f.max;
    for (let v = start; v <= end; v += step) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

/** Weekdays (Mon = 0 .. Sun = 6) of a systemd weekday list such as `Mon..Fri,Sun`. */
function weekdayValues(token: string): number[] {
  const index = (w: string): number => {
    const i = Math.max(DAYS.indexOf(w.toLowerCase()), FULL_DAYS.indexOf(w.toLowerCase()));
    if (i < 0) refuse(`"${w}" is not a weekday`);
    return i;
  };
  const out = new Set<number>();
  for (const item of token.split(",")) {
    const [a, b] = item.split("..").map(index);
    const end = b ?? a;
    if (end < a) refuse(`"${item}": systemd refuses a weekday range that runs backwards (Mon..Sun order)`);
    for (let d = a; d <= end; d++) out.add(d);
  }
  return [...out].sort((x, y) => x - y);
}

/**
 * A sorted set of values as a Scheduler field: `*` for all of them, `S/K` for every K-th from S to the
 * field's end (three values or more) (not for weekdays: Scheduler's day-of-week takes no `/`), otherwise a list whose runs of
 * three or more become `A-B`.
 */
function cronField(values: readonly number[], f: Field, name?: (v: number) => string): string {
  if (values.length === f.max - f.min + 1) return "*";
  const step = values.length > 1 ? values[1] - values[0] : 0;
  const progression = values.length >= 3 && step > 1 && values.every((v, i) => v === values[0] + i * step) && values[values.length - 1] + step > f.max;
  if (progression && !name) return `${values[0]}/${step}`;
  const text = name ?? String;
  const parts: string[] = [];
  for (let i = 0; i < values.length;) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j] + 1) j++;
    if (j - i >= 2) parts.push(`${text(values[i])}-${text(values[j])}`);
    else for (let k = i; k <= j; k++) parts.push(text(values[k]));
    i = j + 1;
  }
  return parts.join(",");
}

/** The parsed pieces of a long-form expression. */
interface Parsed {
  weekdays?: number[];
  year: number[];
  month: number[];
  /** Days of the month, or "last" for `~01`. */
  day: number[] | "last";
  hour: number[];
  minute: number[];
  second: number[];
  zone: string;
}

const ZONE = /^(?:UTC|[A-Z][A-Za-z_]+(?:\/[A-Z][A-Za-z_+-]+){1,2})$/;

function parseDate(token: string, p: Parsed): void {
  if (token.includes("~")) {
    const [head, last] = token.split("~");
    const ym = head.split("-");
    if (ym.length === 2) p.year = componentValues(ym[0], YEAR);
    p.month = componentValues(ym[ym.length - 1], MONTH);
    if (!/^0?1$/.test(last)) refuse(`"~${last}": only ~01 (the month's last day, cron L) has a Scheduler form`);
    p.day = "last";
    return;
  }
  const parts = token.split("-");
  if (parts.length === 3) p.year = componentValues(parts.shift()!, YEAR);
  p.month = componentValues(parts[0], MONTH);
  p.day = componentValues(parts[1], DAY);
}

function parseTime(token: string, p: Parsed): void {
  const [h, m, s] = token.split(":");
  p.hour = componentValues(h, HOUR);
  p.minute = componentValues(m, MINUTE);
  p.second = s === undefined ? [0] : componentValues(s, SECOND);
}

/** Splits a long-form expression into sets (lib/calendar.ts has already accepted its shape). */
function parse(expr: string): Parsed {
  const all = (f: Field): number[] => componentValues("*", f);
  const p: Parsed = { year: all(YEAR), month: all(MONTH), day: all(DAY), hour: [0], minute: [0], second: [0], zone: "UTC" };
  const tokens = (SHORTHANDS[expr] ?? expr).split(" ");
  let i = 0;
  if (/^[A-Za-z]/.test(tokens[i] ?? "") && !ZONE.test(tokens[i])) p.weekdays = weekdayValues(tokens[i++]);
  if (i < tokens.length && /[-~]/.test(tokens[i]) && !tokens[i].includes(":")) parseDate(tokens[i++], p);
  if (i < tokens.length && tokens[i].includes(":")) parseTime(tokens[i++], p);
  if (i < tokens.length) p.zone = tokens[i++];
  if (i !== tokens.length) refuse("it is not an OnCalendar expression");
  return p;
}

/** Scheduler's day-of-month and day-of-week fields: one of them `?`. */
function dayFields(p: Parsed): [string, string] {
  const weekdays = p.weekdays && p.weekdays.length < 7 ? p.weekdays : undefined;
  const dom = p.day === "last" ? "L" : cronField(p.day, DAY);
  if (!weekdays) return [dom, "?"];
  // In Scheduler's own order (SUN = 1), so that no range runs across the end of its week.
  const numbers = weekdays.map((d) => CRON_DAY_NUMBER[d]).sort((a, b) => a - b);
  const dow = cronField(numbers, { name: "weekday", min: 1, max: 7 }, (n) => CRON_DAYS[n]);
  if (dom === "*") return ["?", dow];
  // systemd: the weekday AND the day. One weekday within days 1-7, 8-14, 15-21, 22-28 or 29-31 is its n-th in the month.
  const days = p.day === "last" ? [] : p.day;
  const week = days.length > 0 ? (days[0] - 1) / 7 : -1;
  const wholeWeek = Number.isInteger(week) && week <= 4 && days.length === Math.min(7, 31 - days[0] + 1) && days.every((d, i) => d === days[0] + i);
  if (weekdays.length === 1 && wholeWeek) return ["?", `${CRON_DAY_NUMBER[weekdays[0]]}#${week + 1}`];
  refuse("it names weekdays and days of the month, which systemd requires both of; a Scheduler cron takes one of the two");
}

/** The Scheduler cron of an OnCalendar expression, or why it has none. */
export function calendarToCron(expr: string): CronTranslation {
  const invalid = calendarProblem(expr);
  if (invalid) return { problem: invalid };
  try {
    const p = parse(expr);
    if (p.second.length !== 1 || p.second[0] !== 0) refuse("it fires at a second other than :00, and Scheduler starts runs in whole minutes");
    if (p.zone !== "UTC" && !knownZone(p.zone)) refuse(`"${p.zone}" is not a time zone this machine knows`);
    const [dom, dow] = dayFields(p);
    const fields = [cronField(p.minute, MINUTE), cronField(p.hour, HOUR), dom, cronField(p.month, MONTH), dow, cronField(p.year, YEAR)];
    const expression = `cron(${fields.join(" ")})`;
    if (expression.length > 256) refuse(`its cron form is ${expression.length} characters; Scheduler takes 256`);
    return { cron: { expression, timezone: p.zone } };
  } catch (e) {
    if (e instanceof Untranslatable) return { problem: e.message };
    throw e;
  }
}

/** Whether the runtime's time zone database has `zone` (systemd and Scheduler both need a real one). */
function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
