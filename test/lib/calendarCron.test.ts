// OnCalendar -> Scheduler cron (lib/calendarCron.ts): each translation makes exactly the runs systemd makes
// (test/helpers/calendarCronExamples.ts holds systemd's own answers), reads as expected, and what has no
// exact form is refused saying why.
import { describe, expect, it } from "vitest";
import { calendarToCron, ECS_SCHEDULE_RULE } from "../../lib/calendarCron";
import { CALENDAR_ACCEPTED, CALENDAR_REFUSED } from "../helpers/calendarExamples";
import { SYSTEMD_RUNS } from "../helpers/calendarCronExamples";
import { cronRuns } from "../helpers/schedulerCron";

describe("calendarToCron runs exactly when systemd does", () => {
  it.each(Object.entries(SYSTEMD_RUNS))("%j", (expr, runs) => {
    const t = calendarToCron(expr);
    expect(t.problem).toBeUndefined();
    expect(runs.next.length).toBeGreaterThan(0);
    expect(cronRuns(t.cron!.expression, runs.base, runs.next.length)).toEqual(runs.next);
  });

  it("covers every example the host's check accepts that has a Scheduler form", () => {
    const translated = CALENDAR_ACCEPTED.filter((e) => calendarToCron(e).cron);
    expect(translated.filter((e) => !(e in SYSTEMD_RUNS))).toEqual([]);
  });
});

describe("calendarToCron's expressions", () => {
  it.each([
    ["daily", "cron(0 0 * * ? *)", "UTC"],
    ["hourly", "cron(0 * * * ? *)", "UTC"],
    ["minutely", "cron(* * * * ? *)", "UTC"],
    ["weekly", "cron(0 0 ? * MON *)", "UTC"],
    ["monthly", "cron(0 0 1 * ? *)", "UTC"],
    ["quarterly", "cron(0 0 1 1/3 ? *)", "UTC"],
    ["yearly", "cron(0 0 1 1 ? *)", "UTC"],
    ["*-*-* 03:00:00", "cron(0 3 * * ? *)", "UTC"],
    ["*-*-* 03:00:00 UTC", "cron(0 3 * * ? *)", "UTC"],
    ["Mon..Fri 07:30", "cron(30 7 ? * MON-FRI *)", "UTC"],
    ["Sat,Sun 10:00", "cron(0 10 ? * SUN,SAT *)", "UTC"],
    // Scheduler's week starts on Sunday: no range may run across it.
    ["Fri..Sun 10:00", "cron(0 10 ? * SUN,FRI,SAT *)", "UTC"],
    ["*-*-* *:0/15", "cron(0/15 * * * ? *)", "UTC"],
    ["*-*-* *:0,30", "cron(0,30 * * * ? *)", "UTC"],
    ["*-*-* 08..18:00", "cron(0 8-18 * * ? *)", "UTC"],
    ["*-02~01 12:00", "cron(0 12 L 2 ? *)", "UTC"],
    ["Mon *-*-01..07 09:00", "cron(0 9 ? * 2#1 *)", "UTC"],
    ["Fri *-*-29..31 17:00", "cron(0 17 ? * 6#5 *)", "UTC"],
    ["Mon..Sun *-*-10 02:00", "cron(0 2 10 * ? *)", "UTC"],
    ["2027-01-01 00:00:00", "cron(0 0 1 1 ? 2027)", "UTC"],
    ["Sun *-*-* 04:00:00 Europe/Berlin", "cron(0 4 ? * SUN *)", "Europe/Berlin"],
  ])("%j -> %s in %s", (expr, expression, timezone) => expect(calendarToCron(expr)).toEqual({ cron: { expression, timezone } }));
});

describe("calendarToCron refuses what has no exact Scheduler form", () => {
  it.each([
    ["*-*-* 03:00:30", /second other than :00/],
    ["*-*-* *:*:*", /second other than :00/],
    ["*-*-* *:*:0/30", /second other than :00/],
    ["Mon *-*-01", /weekdays and days of the month/],
    ["Mon,Tue *-*-01..07", /weekdays and days of the month/],
    ["Mon *-*-02..08", /weekdays and days of the month/],
    ["Mon *-*~01", /weekdays and days of the month/],
    ["*-*~03", /only ~01/],
    ["Mon *-05~07/1", /only ~01/],
    ["*-*-* 03:00 Mars/Olympus", /not a time zone/],
    // Accepted by the host's shape check, refused by systemd itself: there is no schedule to translate.
    ["*-*-* */15:00", /systemd refuses \*\/15/],
    ["*-*-* 5/19:00", /systemd refuses a repetition whose second value \(24\)/],
    ["*-*-25/10", /systemd refuses a repetition/],
    ["Fri..Mon 03:00", /runs backwards/],
  ])("%j", (expr, why) => expect(calendarToCron(expr).problem).toMatch(why));

  it("refuses what is no OnCalendar expression at all with the host's own message", () => {
    for (const expr of CALENDAR_REFUSED) expect(calendarToCron(expr).problem).toMatch(/^must be a systemd OnCalendar expression/);
  });

  it("states the rule for messages", () => expect(ECS_SCHEDULE_RULE).toMatch(/whole minutes.*weekdays or a day of the month.*~01.*zone/));
});
