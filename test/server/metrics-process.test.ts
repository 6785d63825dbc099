import { expect } from 'chai';
import { childProcesses, liveServices, until } from './processes.ts';

// METRICS_PORT in a real process running the API, the worker and the embedded engine: job runs, their duration and
// lag, and a restart of the engine after it was killed, as a Prometheus scraper sees them.

const sample = (text: string, line: string) => Number(text.split('\n').find((l) => l.startsWith(`${line} `))?.split(' ')[1] ?? 0);

describe('metrics of a running service (METRICS_PORT)', function () {
  this.timeout(120_000);
  const startService = liveServices('metrics');

  it('serves job runs, durations and lag, and counts an engine restart', async () => {
    const { service } = await startService({ METRICS_PORT: '0' });
    const metricsUrl = (await service.waitFor(/Metrics \(Prometheus\): (http:\/\/\S+)/))[1]!;
    const scrape = async () => (await fetch(metricsUrl)).text();
    // The worker runs visits.plan as it starts, and beats every second.
    // (a run is counted when it succeeds, and timed when it completes, just after)
    expect(await until(async () => {
      const text = await scrape();
      return sample(text, 'ka_job_runs_total{job="visits.plan",outcome="success"}') >= 1 && sample(text, 'ka_job_duration_seconds_count{job="visits.plan"}') >= 1;
    }, 60_000)).to.equal(true);
    const text = await scrape();
    // How late a recurring job started: known from its second run on (the heartbeat runs every second).
    expect(await until(async () => sample(await scrape(), 'ka_job_lag_seconds_count{job="worker.heartbeat"}') >= 1, 30_000)).to.equal(true);
    expect(sample(text, 'ka_engine_restarts_total')).to.equal(0);
    expect((await fetch(metricsUrl.replace('/metrics', '/other'))).status).to.equal(404);

    const [engine] = childProcesses(service.child.pid!, 'ferretdb');
    expect(engine, 'the engine is a child of the service').to.be.a('number');
    process.kill(engine!, 'SIGKILL');
    expect(await until(async () => sample(await scrape(), 'ka_engine_restarts_total') === 1, 30_000)).to.equal(true);
  });
});
