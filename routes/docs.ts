import type { Request } from 'express';
import { Router } from 'express';
import Joi from 'joi';
import swaggerUi from 'swagger-ui-express';
import { operation } from '../server/operation.ts';
import { postmanCollection } from '../server/postman.ts';

// The API description and its human page; public, like the API's login form would be. The document is made from
// every operation, these included, so it reaches them through the app (server/app.ts sets it) rather than an import.
const documentOf = (req: Request) => req.app.locals.openapi as object;

/** Swagger UI's assets, from the swagger-ui-dist package and served from here, not from a CDN. */
export function docsAssets(): Router {
  return Router().use('/docs', swaggerUi.serve);
}

const swaggerPage = swaggerUi.setup(undefined, {
  customSiteTitle: 'Key Account Relationship Service API',
  swaggerOptions: { url: '/api/openapi.json' },
});

export const docsOperations = [
  operation({
    method: 'get', path: '/api/openapi.json', tag: 'operations', access: 'public',
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1', body: Joi.object().unknown() } },
    handler: (req, res) => {
      res.json(documentOf(req));
    },
  }),

  // The same operations as a Postman collection (server/postman.ts), for Postman, Bruno, Insomnia and newman.
  operation({
    method: 'get', path: '/api/postman.json', tag: 'operations', access: 'public',
    summary: 'This API as a Postman collection (v2.1), with sign-in done for you and an account manager walk-through',
    description: 'Import it in Postman, Bruno or Insomnia, set the collection variables `baseUrl`, `email` and `password`, and run the folder '
      + '"Account manager walk-through"; `newman run` takes it too.',
    responses: { 200: { description: 'Postman collection v2.1', body: Joi.object().unknown() } },
    handler: async (req, res) => {
      res.setHeader('Content-Disposition', 'inline; filename="key-accounts.postman_collection.json"');
      res.json(await postmanCollection(documentOf(req)));
    },
  }),

  operation({
    method: 'get', path: '/docs', tag: 'operations', access: 'public',
    summary: 'Interactive API documentation',
    responses: { 200: { description: 'HTML page', content: { 'text/html': {} } } },
    handler: (req, res) => swaggerPage(req, res, () => undefined),
  }),
];
