import { convertV2 } from 'openapi-to-postmanv2';

// A Postman collection (v2.1, which Bruno, Insomnia and Thunder Client import too) made from the OpenAPI document by
// Postman's own converter, every operation in a folder per tag, plus what the converter cannot know: collection
// variables `baseUrl`, `email` and `password`; sign-in done for the user (a collection script signs in with them
// when there is no access token or it is about to expire, and sets `accessToken`); and an account manager's
// walk-through that runs top to bottom (sign in, create a customer, add a contact and a project, read the tier, plan
// a visit, complete it), each step checking its answer. CI runs the walk-through with newman against a live server.

type Item = Record<string, unknown>;
type Collection = { info: Record<string, unknown>; item: Item[]; variable?: Item[]; event?: Item[]; auth?: Item };

const script = (lines: string[]) => ({ type: 'text/javascript', exec: lines });
const prerequest = (lines: string[]) => ({ listen: 'prerequest', script: script(lines) });
const test = (lines: string[]) => ({ listen: 'test', script: script(lines) });

// Runs before every request: signs in when needed, except for the sign-in routes themselves.
const signIn = [
  "if (pm.request.url.getPath().startsWith('/api/v1/auth/')) return;",
  "const token = pm.collectionVariables.get('accessToken');",
  "const until = Number(pm.collectionVariables.get('accessTokenExpiresAt') || 0);",
  'if (token && Date.now() < until - 30000) return;',
  "const base = pm.variables.get('baseUrl').replace(/\\/+$/, '');",
  'pm.sendRequest({',
  "  url: base + '/api/v1/auth/login', method: 'POST', header: { 'Content-Type': 'application/json' },",
  "  body: { mode: 'raw', raw: JSON.stringify({ email: pm.variables.get('email'), password: pm.variables.get('password') }) },",
  '}, (err, res) => {',
  "  if (err || res.code !== 200) { console.error('Sign-in failed: set email and password in the collection variables', err || res.text()); return; }",
  '  const body = res.json();',
  "  pm.collectionVariables.set('accessToken', body.accessToken);",
  "  pm.collectionVariables.set('refreshToken', body.refreshToken);",
  "  pm.collectionVariables.set('accessTokenExpiresAt', String(Date.now() + body.expiresIn * 1000));",
  '});',
];

const json = (body: unknown) => ({ mode: 'raw', raw: JSON.stringify(body, null, 2), options: { raw: { language: 'json' } } });
const step = (name: string, method: string, path: string, opts: { body?: unknown; before?: string[]; checks: string[] }): Item => ({
  name,
  event: [...(opts.before ? [prerequest(opts.before)] : []), test(opts.checks)],
  request: {
    method,
    header: [{ key: 'Content-Type', value: 'application/json' }, { key: 'Accept', value: 'application/json' }],
    url: `{{baseUrl}}${path}`,
    ...(opts.body === undefined ? {} : { body: json(opts.body) }),
    auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{accessToken}}', type: 'string' }] },
  },
});
const status = (code: number) => `pm.test('answers ${code}', () => pm.response.to.have.status(${code}));`;

/** The account manager's day in seven requests, each checking its answer and handing ids to the next. */
const walkThrough: Item = {
  name: 'Account manager walk-through',
  description: 'Run this folder from top to bottom (Postman: Run folder; newman: --folder). Set email and password of an account manager first.',
  item: [
    step('1. Sign in', 'POST', '/api/v1/auth/login', {
      body: { email: '{{email}}', password: '{{password}}' },
      checks: [status(200),
        "const body = pm.response.json(); pm.collectionVariables.set('accessToken', body.accessToken);",
        "pm.collectionVariables.set('refreshToken', body.refreshToken); pm.collectionVariables.set('accessTokenExpiresAt', String(Date.now() + body.expiresIn * 1000));"],
    }),
    step('2. Create a customer', 'POST', '/api/v1/customers', {
      before: ["pm.collectionVariables.set('runId', String(Date.now()));"],
      body: { code: 'PM-{{runId}}', name: 'Fjord Energy {{runId}}', status: 'active', company: { industry: 'Energy', region: 'Nordics' }, tierInputs: { potential: 200000000, strategicValue: 4 } },
      checks: [status(201), "const c = pm.response.json(); pm.collectionVariables.set('customerId', c.id);",
        "pm.test('is mine', () => pm.expect(c.code).to.eql('PM-' + pm.collectionVariables.get('runId')));"],
    }),
    step('3. Add a contact', 'POST', '/api/v1/customers/{{customerId}}/contacts', {
      body: { name: 'Ingrid Solberg', title: 'CIO', decisionRole: 'decision_maker', influence: 5, attitude: 'supporter', email: 'ingrid@fjord.example' },
      checks: [status(201), "pm.test('belongs to the customer', () => pm.expect(pm.response.json().customerId).to.eql(pm.collectionVariables.get('customerId')));"],
    }),
    step('4. Add a project', 'POST', '/api/v1/customers/{{customerId}}/projects', {
      body: { name: 'Grid monitoring rollout', stage: 'proposal', value: 12000000, products: ['Grid monitoring'] },
      checks: [status(201), "pm.test('is a proposal', () => pm.expect(pm.response.json().stage).to.eql('proposal'));"],
    }),
    step('5. Read the tier', 'GET', '/api/v1/customers/{{customerId}}/tier', {
      checks: [status(200), "pm.test('explains the tier', () => { const t = pm.response.json(); pm.expect(t.breakdown).to.be.an('array').that.is.not.empty; });"],
    }),
    step('6. Plan a visit', 'POST', '/api/v1/customers/{{customerId}}/visits', {
      before: ["pm.collectionVariables.set('visitAt', new Date(Date.now() + 7 * 86400000).toISOString());"],
      body: { scheduledFor: '{{visitAt}}', channel: 'onsite' },
      checks: [status(201), "const v = pm.response.json(); pm.collectionVariables.set('visitId', v.id);",
        "pm.test('is scheduled', () => pm.expect(v.status).to.eql('scheduled'));"],
    }),
    step('7. Complete the visit', 'POST', '/api/v1/visits/{{visitId}}/complete', {
      body: {
        satisfaction: 4, recommend: 9, summary: 'Reviewed the rollout plan with the CIO.',
        feedback: [{ category: 'delivery', text: 'Spare parts for remote sites take too long', severity: 'high' }],
      },
      checks: [status(200), "pm.test('is completed', () => pm.expect(pm.response.json().status).to.eql('completed'));"],
    }),
  ],
};

function convert(document: object): Promise<Collection> {
  return new Promise((resolve, reject) => {
    convertV2(
      // A copy: the converter changes the schemas it is given in place (it turned the served document's
      // `oneOf: [TierApproval, null]` into a bare object schema until this copy).
      { type: 'json', data: structuredClone(document) as never },
      { folderStrategy: 'Tags', parametersResolution: 'Example', enableOptionalParameters: false } as never,
      (err, result) => {
        const made = result as { result: boolean; reason?: string; output: Array<{ data: Collection }> } | undefined;
        if (err || !made?.result) reject(err instanceof Error ? err : new Error(`openapi-to-postmanv2: ${made?.reason ?? 'failed'}`));
        else resolve(made.output[0]!.data);
      },
    );
  });
}

/** The collection, with the converter's `{{bearerToken}}` named `accessToken` as the sign-in script sets it. */
async function build(document: object): Promise<Collection> {
  const converted = JSON.parse(JSON.stringify(await convert(document)).replaceAll('{{bearerToken}}', '{{accessToken}}')) as Collection;
  return {
    ...converted,
    info: { ...converted.info, name: 'Key Account Relationship Service', description: 'Generated from /api/openapi.json. Set baseUrl, email and password; signing in is done for you.' },
    item: [walkThrough, ...converted.item],
    variable: [
      { key: 'baseUrl', value: 'http://localhost:3000', type: 'string' },
      { key: 'email', value: 'anna@demo.local', type: 'string' },
      { key: 'password', value: '', type: 'string' },
      { key: 'accessToken', value: '', type: 'string' },
    ],
    event: [prerequest(signIn)],
  };
}

// Made once per document (one per process: it does not change while it runs).
const collections = new WeakMap<object, Promise<Collection>>();
export function postmanCollection(document: object): Promise<Collection> {
  let collection = collections.get(document);
  if (!collection) {
    collections.set(document, collection = build(document).catch((err: unknown) => {
      collections.delete(document);
      throw err;
    }));
  }
  return collection;
}
