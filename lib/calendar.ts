// systemd's OnCalendar grammar (systemd.time(7), "Calendar Events"), checked strictly: a schedule a
// job timer carries must be one systemd parses the same way, so config refuses anything outside the
// subset below before a host sees it (the integration tests run `systemd-analyze calendar` over the
// accepted and refused examples). Pure: no Pulumi, no I/O.
//
//   shorthand   minutely hourly daily weekly monthly quarterly semiannually yearly annually
//   full        [WEEKDAYS] [[YEAR-]MONTH-DAY | MONTH~DAY] [HOUR:MINUTE[:SECOND]] [UTC | Area/City]
//   WEEKDAYS    Mon..Fri,Sun (three-letter or full English names, lists and .. ranges)
//   components  * or lists of N, N..M, each with an optional /STEP

const SHORTHANDS = ["minutely", "hourly", "daily", "weekly", "monthly", "quarterly", "semiannually", "yearly", "annually"];
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const FULL_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/** Example of a valid expression, for messages. */
export const CALENDAR_EXAMPLE = '"*-*-* 03:00:00", "Mon..Fri 07:30", "daily"';

function isDay(word: string): boolean {
  const w = word.toLowerCase();
  return DAYS.includes(w) || FULL_DAYS.includes(w);
}

function weekdaysOk(token: string): boolean {
  return token.split(",").every((item) => {
    const ends = item.split("..");
    return ends.length <= 2 && ends.every(isDay);
  });
}

/** One component (`*`, `5`, `1..5`, `0/15`, `1,15`) with every value inside [min, max]. */
function componentOk(text: string, min: number, max: number, digits: number): boolean {
  if (text === "*") return true;
  const num = new RegExp(`^\\d{1,${digits}}$`);
  return text.split(",").every((item) => {
    const [range, step, ...rest] = item.split("/");
    if (rest.length) return false;
    if (step !== undefined && (!/^\d{1,4}$/.test(step) || Number(step) < 1)) return false;
    if (range === "*" && step !== undefined) return true;
    const ends = range.split("..");
    if (ends.length > 2 || !ends.every((e) => num.test(e) && Number(e) >= min && Number(e) <= max)) return false;
    return ends.length === 1 || Number(ends[0]) <= Number(ends[1]);
  });
}

function dateOk(token: string): boolean {
  const last = token.includes("~");
  const parts = token.split(last ? "~" : "-");
  if (last) {
    // MONTH~DAY or YEAR-MONTH~DAY: the DAY-th last day of the month.
    const head = parts[0].split("-");
    if (parts.length !== 2 || head.length > 2) return false;
    const [year, month] = head.length === 2 ? head : ["*", head[0]];
    return componentOk(year, 1970, 2199, 4) && componentOk(month, 1, 12, 2) && componentOk(parts[1], 1, 31, 2);
  }
  if (parts.length < 2 || parts.length > 3) return false;
  const [year, month, day] = parts.length === 3 ? parts : ["*", ...parts];
  return componentOk(year, 1970, 2199, 4) && componentOk(month, 1, 12, 2) && componentOk(day, 1, 31, 2);
}

function timeOk(token: string): boolean {
  const parts = token.split(":");
  if (parts.length < 2 || parts.length > 3) return false;
  return componentOk(parts[0], 0, 23, 2) && componentOk(parts[1], 0, 59, 2) && (parts.length === 2 || componentOk(parts[2], 0, 59, 2));
}

const ZONE = /^(?:UTC|[A-Z][A-Za-z_]+(?:\/[A-Z][A-Za-z_+-]+){1,2})$/;

/** Why `expr` is not an OnCalendar expression of the subset above, or undefined when it is. */
export function calendarProblem(expr: string): string | undefined {
  const why = `must be a systemd OnCalendar expression such as ${CALENDAR_EXAMPLE}: [WEEKDAYS] [YEAR-MONTH-DAY] [HH:MM[:SS]] [UTC], or one of ${SHORTHANDS.join(", ")}`;
  if (expr.length > 128 || expr !== expr.trim() || /\s{2,}/.test(expr)) return why;
  if (SHORTHANDS.includes(expr)) return undefined;
  const tokens = expr.split(" ");
  let i = 0;
  const seen = { weekdays: false, date: false, time: false };
  if (i < tokens.length && /^[A-Za-z]/.test(tokens[i]) && !ZONE.test(tokens[i])) {
    if (!weekdaysOk(tokens[i])) return why;
    seen.weekdays = true;
    i++;
  }
  if (i < tokens.length && /[-~]/.test(tokens[i]) && !tokens[i].includes(":")) {
    if (!dateOk(tokens[i])) return why;
    seen.date = true;
    i++;
  }
  if (i < tokens.length && tokens[i].includes(":")) {
    if (!timeOk(tokens[i])) return why;
    seen.time = true;
    i++;
  }
  if (i < tokens.length && (seen.weekdays || seen.date || seen.time) && ZONE.test(tokens[i])) i++;
  if (i !== tokens.length || !(seen.weekdays || seen.date || seen.time)) return why;
  return undefined;
}
