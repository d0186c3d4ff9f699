// EventBridge Scheduler's cron rules, as the EventBridge "Cron expressions reference" states them, for the
// tests: the runs a `cron(minutes hours day-of-month month day-of-week year)` expression makes after a
// wall-clock time. Written apart from lib/calendarCron.ts (which only builds expressions), so a wrong
// translation shows as different runs. Covers what the reference documents: `*`, `?`, lists, `A-B`,
// `S/K`, `L` in day-of-month, `D#n` in day-of-week, SUN-SAT and JAN-DEC names.

const DOW = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MON = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/** Whether `value` is in a field such as `1-5,10`, `0/15`, `*` (names allowed where the reference allows them). */
function inField(field: string, value: number, min: number, max: number, names: readonly string[] = [], base = 0): boolean {
  if (field === "*" || field === "?") return true;
  const num = (t: string): number => {
    const i = names.indexOf(t.toUpperCase());
    if (i >= 0) return i + base;
    if (!/^\d+$/.test(t)) throw new Error(`not a value: ${t}`);
    return Number(t);
  };
  return field.split(",").some((item) => {
    const [range, step] = item.split("/");
    const [a, b] = range === "*" ? [min, max] : range.split("-").map(num);
    const end = b ?? (step === undefined ? a : max);
    const k = step === undefined ? 1 : Number(step);
    return value >= a && value <= end && (value - a) % k === 0;
  });
}

/** Whether a day (weekday 0 = Sunday) matches the day-of-month and day-of-week fields. */
function dayMatches(dom: string, dow: string, y: number, m: number, d: number): boolean {
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  if ((dom === "?") === (dow === "?")) throw new Error("exactly one of day-of-month and day-of-week must be ?");
  if (dom !== "?") return dom === "L" ? d === last : inField(dom, d, 1, 31);
  const nth = /^(\w+)#(\d)$/.exec(dow);
  if (nth) return inField(nth[1], weekday + 1, 1, 7, DOW, 1) && Math.ceil(d / 7) === Number(nth[2]);
  return inField(dow, weekday + 1, 1, 7, DOW, 1);
}

const pad = (n: number): string => String(n).padStart(2, "0");

/** The first `count` runs strictly after `base` ("YYYY-MM-DD HH:MM:SS", wall-clock), as the same kind of text. */
export function cronRuns(expression: string, base: string, count: number): string[] {
  const m = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (!m) throw new Error(`not a Scheduler cron: ${expression}`);
  const [, minutes, hours, dom, month, dow, year] = m;
  const out: string[] = [];
  const start = new Date(`${base.replace(" ", "T")}Z`);
  for (let day = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()); out.length < count; day += 86_400_000) {
    const t = new Date(day);
    const [y, mo, d] = [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()];
    if (y > 2199) break;
    if (!inField(year, y, 1970, 2199) || !inField(month, mo, 1, 12, MON, 1) || !dayMatches(dom, dow, y, mo, d)) continue;
    for (let h = 0; h < 24 && out.length < count; h++)
      for (let mi = 0; mi < 60 && out.length < count; mi++) {
        if (!inField(hours, h, 0, 23) || !inField(minutes, mi, 0, 59)) continue;
        const text = `${y}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}:00`;
        if (text > base) out.push(text);
      }
  }
  return out;
}
