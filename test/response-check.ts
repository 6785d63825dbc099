import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import express, { type Express } from 'express';

// Every JSON answer the app gives in a test is checked against the OpenAPI document's schema for its operation and
// status (server/openapi.ts): the document cannot drift from what the routes answer without a test failing.

type Doc = { paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>; components?: unknown };
export type Violation = { method: string; path: string; status: number; errors: string };

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

export function checkedApp(app: Express, doc: Doc, violations: Violation[]): Express & { checked: () => number } {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...doc, $id: 'openapi' } as object);
  // a literal path before a templated one that also matches it (/users/me before /users/{id})
  const routes = Object.entries(doc.paths).map(([template, operations]) => ({
    template, operations, pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    params: template.match(/\{/g)?.length ?? 0,
  })).sort((a, b) => a.params - b.params);
  const validators = new Map<string, ValidateFunction | null>();
  let checked = 0;

  function validatorFor(method: string, path: string, status: number): ValidateFunction | null | undefined {
    const route = routes.find((r) => r.pattern.test(path) && r.operations[method]);
    // a path or method no route serves answers the one problem shape
    if (!route) return [404, 405].includes(status) ? ajv.getSchema('openapi#/components/schemas/Problem') ?? undefined : undefined;
    const { template } = route;
    const responses = route.operations[method]!.responses ?? {};
    const code = String(status) in responses ? String(status) : `${String(status)[0]}XX` in responses ? `${String(status)[0]}XX` : 'default';
    const key = `${method} ${template} ${code}`;
    if (!validators.has(key)) {
      const content = responses[code]?.content;
      const type = content && Object.keys(content).find((t) => t.includes('json'));
      const pointer = `openapi#/paths/${template.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}/responses/${code}/content/${type?.replaceAll('/', '~1')}/schema`;
      validators.set(key, type && content[type]!.schema ? ajv.getSchema(pointer) ?? null : null);
    }
    return validators.get(key);
  }

  const outer = express();
  outer.use((req, res, next) => {
    const check = (body: unknown) => {
      const method = req.method.toLowerCase();
      const path = req.originalUrl.split('?')[0]!;
      const validate = validatorFor(method, path, res.statusCode);
      if (validate === undefined) {
        violations.push({ method, path, status: res.statusCode, errors: 'no operation in the OpenAPI document' });
      } else if (validate === null) {
        violations.push({ method, path, status: res.statusCode, errors: 'no JSON schema for this status' });
      } else {
        checked++;
        if (!validate(body)) violations.push({ method, path, status: res.statusCode, errors: ajv.errorsText(validate.errors, { separator: '; ' }) });
      }
    };
    // res.json sends through res.send; each answer is checked once, as the client receives it
    const send = res.send.bind(res);
    res.send = (body?: unknown) => {
      const type = String(res.getHeader('content-type') ?? '');
      if (/json/.test(type) && (typeof body === 'string' || Buffer.isBuffer(body)) && res.statusCode !== 204) check(JSON.parse(String(body)));
      return send(body);
    };
    next();
  });
  outer.use(app);
  return Object.assign(outer, { checked: () => checked });
}
