// The OnCalendar subset job schedules may use (lib/calendar.ts). Every example here is also run through
// `systemd-analyze calendar` by test/integration/host-scripts.test.ts: the accepted ones must parse there.
import { describe, expect, it } from "vitest";
import { calendarProblem } from "../../lib/calendar";
import { CALENDAR_ACCEPTED, CALENDAR_REFUSED } from "../helpers/calendarExamples";

describe("calendarProblem", () => {
  it.each(CALENDAR_ACCEPTED)("accepts %j", (expr) => expect(calendarProblem(expr)).toBeUndefined());
  it.each(CALENDAR_REFUSED)("refuses %j saying what is allowed", (expr) =>
    expect(calendarProblem(expr)).toMatch(/^must be a systemd OnCalendar expression such as .* or one of minutely, hourly/),
  );
});
