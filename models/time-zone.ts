// Calendar days and hours in a user's or the organisation's time zone (IANA names), for schedules that follow a
// local clock: the daily digest at a local hour, a local day's bounds.

/** Whether the name is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function dayIn(timezone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The offset of a time zone from UTC at an instant, in ms (positive east of Greenwich). */
function offsetMs(timezone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    .formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(at / 1000) * 1000;
}

/** The instant a local calendar day (YYYY-MM-DD) starts in a time zone. */
export function startOfDay(timezone: string, day: string): Date {
  const guess = Date.parse(`${day}T00:00:00Z`);
  let at = guess - offsetMs(timezone, guess);
  at = guess - offsetMs(timezone, at); // again at the found instant, in case a DST change lies between
  return new Date(at);
}

/** The local calendar day and hour of an instant in a time zone. */
export function localClock(timezone: string, at: Date): { day: string; hour: number } {
  const hour = Number(new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', hour: '2-digit' }).format(at));
  return { day: dayIn(timezone, at), hour };
}

