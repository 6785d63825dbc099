import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { ensureEngineBinary } from '../../server/embedded-db/engine.ts';

// Patch 006 replaces how the engine decodes every stored document. Its own Go tests compare the new decoder with
// FerretDB's original one on 20,000 random documents and 50,000 damaged encodings; they run here, in the patched
// sources the engine was built from. (The over-the-wire differential test covers the same path end to end.)
describe('embedded engine: the one-pass document decoder agrees with FerretDB\'s own', function () {
  this.timeout(600_000);

  it('decodes random documents identically and never accepts what the original refuses (Go tests of patch 006)', () => {
    const sources = `${ensureEngineBinary(() => undefined)}-src`;
    const run = spawnSync('go', ['test', '-count=1', '-run', 'FastUnmarshal', '-v', './internal/handler/sjson/'], {
      cwd: sources, encoding: 'utf8', env: { ...process.env, CGO_ENABLED: '0' },
    });
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status, output).to.equal(0);
    for (const test of ['TestFastUnmarshalMatches', 'TestFastUnmarshalDamaged', 'TestFastUnmarshalArrayWithoutItems']) {
      expect(output, output).to.contain(`--- PASS: ${test}`);
    }
  });
});
