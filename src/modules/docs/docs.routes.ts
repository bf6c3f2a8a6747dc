import { buildOpenApiDocument } from '../../http/openapi/document.js';
import { defineRoute, type HttpModule, type RouteDefinition } from '../../http/route.js';
import { versionInfo } from '../../version.js';
import { docsAssets, type DocsAsset } from './docs.assets.js';
import { documentSpecs, type DocumentSpec } from './docs.documents.js';
import { DOCS_PAGE_CSP, redocPage, swaggerPage } from './docs.pages.js';

const HTML = 'text/html; charset=utf-8';

/**
 * The OpenAPI documents and the pages that render them. `getRoutes` is read on the first request for a document,
 * once every module is wired, so it may include this module's own routes (they are hidden, hence never listed).
 */
export function docsRoutes(getRoutes: () => RouteDefinition<any>[]): HttpModule {
  return {
    name: 'docs',
    routes: [
      ...documentSpecs.map((spec) => documentRoute(spec, getRoutes)),
      pageRoute('/api/docs', 'Swagger UI for the overlay API', swaggerPage),
      pageRoute('/api/redoc', 'ReDoc for the overlay API', redocPage),
      ...docsAssets.map(assetRoute),
    ],
  };
}

function documentRoute(spec: DocumentSpec, getRoutes: () => RouteDefinition<any>[]) {
  let body: string | undefined; // built once, lazily: the routes are fixed once the app is up
  return defineRoute({
    method: 'GET', path: spec.path, surface: spec.surface, permission: 'public', hidden: true, tags: ['docs'],
    summary: `OpenAPI 3.1 document: ${spec.title}`,
    produces: 'application/json; charset=utf-8',
    schema: {},
    handler: () =>
      (body ??= JSON.stringify(
        buildOpenApiDocument({
          title: spec.title,
          version: versionInfo.rampart,
          description: spec.description,
          routes: getRoutes(),
          include: spec.include,
        }),
      )),
  });
}

function pageRoute(path: string, summary: string, html: string) {
  return defineRoute({
    method: 'GET', path, surface: 'overlay', permission: 'public', hidden: true, tags: ['docs'],
    summary, produces: HTML, schema: {},
    handler: ({ reply }) => {
      reply.header('content-security-policy', DOCS_PAGE_CSP);
      return html;
    },
  });
}

function assetRoute(asset: DocsAsset) {
  return defineRoute({
    method: 'GET', path: asset.path, surface: 'overlay', permission: 'public', hidden: true, tags: ['docs'],
    summary: `Documentation page asset ${asset.path}`, produces: asset.type, schema: {},
    handler: async ({ reply }) => {
      reply.header('cache-control', 'public, max-age=3600');
      return asset.load();
    },
  });
}
