import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A file the documentation pages load, served by Rampart itself: the machines it runs on have no internet. */
export interface DocsAsset {
  path: string;
  type: string;
  load(): Promise<string>;
}

const require = createRequire(import.meta.url);
const JS = 'text/javascript; charset=utf-8';

// The initializers live in served files rather than inline <script>s, so the pages' CSP needs no 'unsafe-inline'
// for scripts. URLs are relative to the page, so the pages also work behind a reverse proxy under a prefix.
const swaggerInit = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: new URL('openapi.json', window.location.href).href,
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;
const redocInit = `window.addEventListener('load', function () {
  Redoc.init(new URL('openapi.json', window.location.href).href, {}, document.getElementById('redoc'));
});
`;

/** Every asset by its exact path: nothing else is served, so no request can name a file of its own choosing. */
export const docsAssets: DocsAsset[] = [
  { path: '/api/docs/assets/swagger-ui.css', type: 'text/css; charset=utf-8', load: packageFile('swagger-ui-dist', 'swagger-ui.css') },
  { path: '/api/docs/assets/swagger-ui-bundle.js', type: JS, load: packageFile('swagger-ui-dist', 'swagger-ui-bundle.js') },
  { path: '/api/docs/assets/init.js', type: JS, load: async () => swaggerInit },
  {
    path: '/api/redoc/redoc.standalone.js',
    type: JS,
    // ReDoc's sidebar shows Redocly's logo from their CDN: the one fetch that would leave the machine. An empty
    // image takes its place.
    load: packageFile('redoc', 'bundles/redoc.standalone.js', (js) => js.replace(REDOC_CDN_LOGO, EMPTY_SVG)),
  },
  { path: '/api/redoc/init.js', type: JS, load: async () => redocInit },
];

const REDOC_CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';
const EMPTY_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E";

/** Read once, on first use, then kept: the bundles are a few MB and never change while the process runs. */
function packageFile(pkg: string, file: string, adapt: (text: string) => string = (text) => text): () => Promise<string> {
  let content: Promise<string> | undefined;
  return () => {
    content ??= readFile(join(dirname(require.resolve(`${pkg}/package.json`)), file), 'utf8').then(adapt, (err) => {
      content = undefined; // let a later request retry
      throw err;
    });
    return content;
  };
}
