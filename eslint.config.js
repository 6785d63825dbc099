// Lint for the code's style and its layers (npm test runs it). The layers, each a folder, and what each may import:
//   models/    the domain and its storage: nothing of the layers above (no HTTP, no API shapes, no use cases, no jobs)
//   schemas/   API shapes (joi): models only
//   usecases/  what routes and jobs both do: models and schemas, no HTTP
//   routes/    one router per file: no other route (what two share belongs below them)
//   jobs/      the worker's jobs: no routes
//   server/    HTTP plumbing and the wiring of it all
import tseslint from 'typescript-eslint';

const layer = (name, message) => ({ group: [`../${name}/*`, `../../${name}/*`], message });
const noHttp = layer('server', 'the HTTP layer (server/) is above this one');
const noRoutes = layer('routes', 'routes are the top of the call graph: move what is shared below them');
const noUsecases = layer('usecases', 'use cases are above this layer');
const noSchemas = layer('schemas', 'API shapes are above the domain: pass validated values in');
const noJobs = layer('jobs', 'jobs are above this layer');
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  { files: ['models/**/*.ts'], rules: restrict(noHttp, noRoutes, noUsecases, noSchemas, noJobs) },
  { files: ['schemas/**/*.ts'], rules: restrict(noHttp, noRoutes, noUsecases, noJobs) },
  { files: ['usecases/**/*.ts'], rules: restrict(noHttp, noRoutes, noJobs) },
  { files: ['routes/**/*.ts'], rules: restrict({ group: ['./*'], message: 'a route does not import another route: move what they share to models/, schemas/ or usecases/' }) },
  { files: ['jobs/**/*.ts'], rules: restrict(noRoutes) },
  {
    // chai's assertions are property reads (`expect(x).to.be.true`)
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
