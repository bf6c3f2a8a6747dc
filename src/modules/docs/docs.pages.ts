/**
 * The pages' own Content-Security-Policy, looser than the app's default only where Swagger UI and ReDoc need it:
 * both inject styles at runtime, use data: images, and ReDoc runs its search index in a blob: worker.
 */
export const DOCS_PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "object-src 'none'",
  "base-uri 'none'",
].join('; ');

/** A page that loads only its own scripts (no inline ones) and asks for no favicon. */
function page(title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title}</title>
${head}</head>
<body>
${body}</body>
</html>
`;
}

// Relative URLs: /api/docs + docs/assets/x = /api/docs/assets/x, and likewise for /api/redoc.
export const swaggerPage = page(
  'Rampart overlay API - Swagger UI',
  '<link rel="stylesheet" href="docs/assets/swagger-ui.css">\n',
  '<div id="swagger-ui"></div>\n<script src="docs/assets/swagger-ui-bundle.js"></script>\n<script src="docs/assets/init.js"></script>\n',
);

export const redocPage = page(
  'Rampart overlay API - ReDoc',
  '',
  '<div id="redoc"></div>\n<script src="redoc/redoc.standalone.js"></script>\n<script src="redoc/init.js"></script>\n',
);
