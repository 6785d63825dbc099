import { expect } from 'chai';
import express from 'express';
import Joi from 'joi';
import request from 'supertest';
import { answer } from '../../schemas/common.ts';
import { openapiDocument } from '../../server/openapi.ts';
import { documentOperations } from '../../server/openapi-operations.ts';
import { operation, operationsRouter } from '../../server/operation.ts';
import { errorHandler } from '../../server/errors.ts';
import { checkedApp, type Violation } from '../response-check.ts';
import { config } from '../setup.ts';

// The check every test's answers go through (test/setup.ts) catches an answer that drifted from its declaration.

const widget = answer({ id: Joi.string(), size: Joi.number().integer().min(1) }).id('Widget');

function appAnswering(body: unknown) {
  const operations = [operation({
    method: 'get', path: '/widget', tag: 'operations', access: 'public', summary: 'A widget',
    responses: { 200: { description: 'The widget', body: widget } },
    handler: (_req, res) => { res.json(body); },
  })];
  const { paths, schemas } = documentOperations(operations);
  const app = express().use(operationsRouter(operations, config)).use(errorHandler);
  const violations: Violation[] = [];
  const doc = { paths, components: { schemas: { ...openapiDocument.components.schemas, ...schemas } } };
  return { checked: checkedApp(app, doc as never, violations), violations };
}

describe('the answers check against the OpenAPI document', () => {
  it('passes an answer that matches its declared schema', async () => {
    const { checked, violations } = appAnswering({ id: 'w1', size: 3 });
    await request(checked).get('/widget').expect(200);
    expect(violations).to.deep.equal([]);
    expect(checked.checked()).to.equal(1);
  });

  it('names an answer with a key the declaration lacks, a wrong type and a missing key', async () => {
    const { checked, violations } = appAnswering({ id: 'w1', size: 'large', colour: 'red' });
    await request(checked).get('/widget').expect(200);
    expect(violations).to.have.length(1);
    expect(violations[0]).to.include({ method: 'get', path: '/widget', status: 200 });
    expect(violations[0]!.errors).to.include('must NOT have additional properties').and.include('must be integer');

    const missing = appAnswering({ id: 'w1' });
    await request(missing.checked).get('/widget').expect(200);
    expect(missing.violations[0]!.errors).to.include("must have required property 'size'");
  });
});
