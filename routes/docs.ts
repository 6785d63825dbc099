import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { openapiDocument } from '../server/openapi.ts';
import { postmanCollection } from '../server/postman.ts';

// The API description and its human page; public, like the API's login form would be.
export function docsRouter(): Router {
  const router = Router();
  router.get('/api/openapi.json', (_req, res) => {
    res.json(openapiDocument);
  });
  // The same operations as a Postman collection (server/postman.ts), for Postman, Bruno, Insomnia and newman.
  router.get('/api/postman.json', async (_req, res) => {
    res.setHeader('Content-Disposition', 'inline; filename="key-accounts.postman_collection.json"');
    res.json(await postmanCollection());
  });
  // Swagger UI's assets come from the swagger-ui-dist package and are served from here, not from a CDN.
  router.use('/docs', swaggerUi.serve);
  router.get('/docs', swaggerUi.setup(undefined, {
    customSiteTitle: 'Key Account Relationship Service API',
    swaggerOptions: { url: '/api/openapi.json' },
  }));
  return router;
}
