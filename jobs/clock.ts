/**
 * The instant a job treats as "now": the ISO date-time in its data (so a run can be replayed or tested at a given
 * moment), or the time it runs. A value that is not a date fails the job, naming the job and the field.
 */
export function jobClock(job: string, field: string, value: string | undefined): Date {
  const at = value ? new Date(value) : new Date();
  if (Number.isNaN(at.getTime())) throw new Error(`${job}: ${field} is not a date: ${value}`);
  return at;
}
