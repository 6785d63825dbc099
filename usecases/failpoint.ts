// Crash points for the tests that kill the process between two steps of a use case: `KA_FAILPOINT=<name>` makes the
// process SIGKILL itself when it reaches that point, `<name>@<n>` the n-th time it does. Ignored in production, and a
// no-op unless the variable is set.

let reached = 0;

export function failpoint(name: string): void {
  const set = process.env.KA_FAILPOINT;
  if (!set || process.env.NODE_ENV === 'production') return;
  const [point, nth] = set.split('@');
  if (point !== name) return;
  reached += 1;
  if (reached >= Number(nth ?? 1)) process.kill(process.pid, 'SIGKILL');
}
