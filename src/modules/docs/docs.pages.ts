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

// Relative URLs: /api/docs + docs/assets/x = /api/docs/assets/x, and likewise for /api/redoc.
export const swaggerPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Rampart overlay API - Swagger UI</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/assets/init.js"></script>
</body>
</html>
`;

export const redocPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Rampart overlay API - ReDoc</title>
</head>
<body>
<div id="redoc"></div>
<script src="redoc/redoc.standalone.js"></script>
<script src="redoc/init.js"></script>
</body>
</html>
`;
