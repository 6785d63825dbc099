import { expect } from 'chai';
import { liveServices, signInAt } from './processes.ts';

// The scenario on a real service (`npm start`: API, worker and engine in one process): a dry run of a
// 100,000-row file, while /healthz is asked again and again. The API must go on answering while the worker checks.

describe('a 100,000-row import while the API answers', function () {
  this.timeout(300_000);
  const startService = liveServices('import-load');

  it('answers 202 at once, checks in the worker, and keeps answering /healthz meanwhile', async () => {
    const { url } = await startService();
    const auth = { authorization: `Bearer ${await signInAt(url)}` };
    const lines = ['code,name,tags,company.industry', ...Array.from({ length: 100_000 }, (_, i) => `LOAD-${i},Load Customer ${i},t${i % 9},Energy`)];

    const posted = await fetch(`${url}/api/v1/customers/import?dryRun=true`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: lines.join('\n') });
    expect(posted.status).to.equal(202);
    const location = `${url}${posted.headers.get('location')}`;

    // /healthz 50 times a second, one after the other, until the import is over; each answer noted with the import's state.
    const answers: Array<{ ms: number; state: string }> = [];
    let state = 'queued';
    const watch = (async () => {
      while (state !== 'done' && state !== 'failed') {
        state = ((await (await fetch(location, { headers: auth })).json()) as { state: string }).state;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    while (state !== 'done' && state !== 'failed') {
      const started = performance.now();
      expect((await fetch(`${url}/healthz`)).status).to.equal(200);
      answers.push({ ms: performance.now() - started, state });
      await new Promise((r) => setTimeout(r, 20));
    }
    await watch;
    const outcome = (await (await fetch(location, { headers: auth })).json()) as { state: string; checked: number; summary: Record<string, number> };
    expect(outcome).to.deep.include({ state: 'done', checked: 100_000 });
    expect(outcome.summary).to.deep.equal({ created: 100_000, updated: 0, unchanged: 0 });
    const during = answers.filter((a) => a.state === 'checking').map((a) => a.ms).sort((a, b) => a - b);
    console.log(`      /healthz during the check: ${during.length} answers, median ${during[Math.floor(during.length / 2)]?.toFixed(1)} ms, `
      + `95th ${during[Math.floor(during.length * 0.95)]?.toFixed(1)} ms, slowest ${during.at(-1)?.toFixed(1)} ms`);
    expect(during.length, 'answers while the worker checked the file').to.be.at.least(10);
  });
});
