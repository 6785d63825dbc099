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


const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * `minutes` after an instant on a time zone's clock: whole days are calendar days (the same local time, however long
 * the day was across a change of summer time), the rest elapsed minutes. A 2-day target set at 09:00 is due at 09:00.
 */
export function afterOnClock(timezone: string, from: Date, minutes: number): Date {
  const days = Math.floor(minutes / 1440);
  let at = from.getTime();
  if (days > 0) {
    const wall = at + offsetMs(timezone, at) + days * DAY_MS;
    at = wall - offsetMs(timezone, wall);
    at = wall - offsetMs(timezone, at); // again at the found instant, in case the offset changed between
  }
  return new Date(at + (minutes - days * 1440) * 60_000);
}

/** An instant as the local date and time in a time zone, for people: `2027-03-01 10:00 (Asia/Shanghai)`. */
export function localTimeIn(timezone: string, at: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
    .formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} (${timezone})`;
}
