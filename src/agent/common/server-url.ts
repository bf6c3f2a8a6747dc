/** What every agent's --server flag must be. */
/** The server's base URL, checked and without a trailing slash. */
export function normalizeServerUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Error(`--server must be a URL such as https://rampart.example:8443, got "${server}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`--server must be an http(s) URL, got "${server}"`);
  return url.toString().replace(/\/+$/, '');
}
