// Schedules the job check accepts and refuses (lib/calendar.ts): the unit test checks the rule against
// them, and test/integration/host-scripts.test.ts runs each through `systemd-analyze calendar`.

/** Expressions the check accepts (and systemd parses). */
export const CALENDAR_ACCEPTED: readonly string[] = [
  "daily",
  "hourly",
  "weekly",
  "*-*-* 03:00:00",
  "*-*-* 03:00",
  "Mon..Fri *-*-* 06:30:00",
  "Mon..Fri 07:30",
  "Sat,Sun 10:00",
  "Monday 04:00",
  "Mon",
  "*-*-01 00:00:00",
  "2027-01-01 00:00:00",
  "*-*-* *:0/15",
  "*-*-* 00/2:00",
  "*-02~01 12:00",
  "*-*-* 1,13:05:00",
  "*-*-* 08..18:00",
  "*-*-* 03:00:00 UTC",
  "Sun *-*-* 04:00:00 Europe/Berlin",
];

/** Expressions the check refuses (free text, out-of-range values, shell, wrong order). */
export const CALENDAR_REFUSED: readonly string[] = [
  "every day at 3",
  "",
  " daily",
  "daily ",
  "*-*-* 24:00:00",
  "*-*-* 03:60",
  "*-13-01 00:00",
  "*-*-32 00:00",
  "Mon..Funday 00:00",
  "03:00 Mon",
  "*-*-* 03:00:00; rm -rf /",
  "*-*-* 03:00:00\nExecStart=/bin/sh",
  "*-*-* 5..3:00",
  "*-*-* */0:00",
  "Mon  03:00",
  "UTC",
  "1 2 3 4 5",
];
