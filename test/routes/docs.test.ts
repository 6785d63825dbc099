import { Validator } from '@seriousme/openapi-schema-validator';
import { expect } from 'chai';
import type { Router } from 'express';
import { mountedRouters } from '../../server/app.ts';
import { api } from '../factories.ts';
import { config } from '../setup.ts';

type RouteLayer = { route?: { path: string; methods: Record<string, boolean> } };

/** Every `METHOD /path` registered on the app's routers, in OpenAPI's `{param}` spelling. */
function registeredRoutes(): string[] {
  const routes: string[] = [];
  for (const [base, router] of mountedRouters(config)) {
    for (const layer of (router as Router & { stack: RouteLayer[] }).stack) {
      if (!layer.route) continue;
      const path = `${base === '/' ? '' : base}${layer.route.path === '/' ? '' : layer.route.path}`.replace(/:(\w+)/g, '{$1}') || '/';
      for (const method of Object.keys(layer.route.methods)) routes.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return routes;
}

describe('GET /api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const res = await api().get('/api/openapi.json').expect(200);
    expect(res.body.openapi).to.match(/^3\.1\./);
    const result = await new Validator().validate(res.body);
    expect(result.errors ?? []).to.deep.equal([]);
    expect(result.valid).to.equal(true);
  });

  it('describes every registered route, and no route that does not exist', async () => {
    const doc = (await api().get('/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).filter((k) => k !== 'parameters').map((method) => `${method.toUpperCase()} ${path}`));
    const registered = registeredRoutes();
    expect(registered.length).to.be.greaterThan(5);
    expect(registered.filter((r) => !documented.includes(r)), 'routes missing from the document').to.deep.equal([]);
    expect(documented.filter((d) => !registered.includes(d)), 'documented routes that do not exist').to.deep.equal([]);
  });
});

describe('GET /api/postman.json', () => {
  it('is every documented operation as a Postman request, with sign-in done for the user and the walk-through first', async function () {
    this.timeout(30_000);
    const before = (await api().get('/api/openapi.json')).text;
    const res = await api().get('/api/postman.json').expect(200);
    // Making it leaves the served document as it was (the converter changes what it is given; it gets a copy).
    expect((await api().get('/api/openapi.json')).text).to.equal(before);
    const collection = res.body as { info: { schema: string }; item: Array<{ name: string; item?: unknown[] }>; variable: Array<{ key: string }>; event: Array<{ listen: string; script: { exec: string[] } }> };
    expect(collection.info.schema).to.match(/collection\/v2\.1\.0/);
    expect(collection.variable.map((v) => v.key)).to.include.members(['baseUrl', 'email', 'password', 'accessToken']);
    expect(collection.event.find((e) => e.listen === 'prerequest')!.script.exec.join('\n')).to.include('/api/v1/auth/login');
    expect(collection.item[0]!.name).to.equal('Account manager walk-through');
    expect(JSON.stringify(collection)).to.not.include('{{bearerToken}}');
    const requests = (items: unknown[]): Array<{ method: string }> => items.flatMap((i) => {
      const item = i as { item?: unknown[]; request?: { method: string } };
      return item.item ? requests(item.item) : item.request ? [item.request] : [];
    });
    const doc = (await api().get('/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(doc.paths).flatMap((item) => Object.keys(item).filter((k) => k !== 'parameters')).length;
    expect(requests(collection.item.slice(1))).to.have.length(operations);
  });
});

describe('GET /docs', () => {
  it('serves the documentation page and its assets from this server', async () => {
    expect((await api().get('/docs').expect(301)).headers.location).to.equal('/docs/');
    const page = await api().get('/docs/').expect(200);
    expect(page.headers['content-type']).to.match(/^text\/html/);
    const scripts = [...page.text.matchAll(/<script src="\.\/([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).to.include('swagger-ui-bundle.js');
    expect(page.text).to.not.match(/https?:\/\/(cdn|unpkg)/);
    for (const script of scripts) {
      const asset = await api().get(`/docs/${script}`).expect(200);
      expect(asset.headers['content-type']).to.match(/javascript/);
    }
    // Over plain HTTP the browser must load the assets as they are, not upgraded to HTTPS.
    expect(page.headers['content-security-policy']).to.not.include('upgrade-insecure-requests');
    const init = await api().get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).to.include('/api/openapi.json');
  });
});
