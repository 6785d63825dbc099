// Crash points for the tests that kill the process between two steps of a use case: `KA_FAILPOINT=<name>` makes the
// process SIGKILL itself when it reaches that point. Ignored in production, and a no-op unless the variable is set.

export function failpoint(name: string): void {
  if (process.env.KA_FAILPOINT === name && process.env.NODE_ENV !== 'production') process.kill(process.pid, 'SIGKILL');
}
