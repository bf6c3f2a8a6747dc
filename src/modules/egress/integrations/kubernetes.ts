import { request } from 'node:https';
import { isIP } from 'node:net';
import { RampartError, errors } from '../../../core/errors.js';
import type { KubernetesSource } from '../policy/policy.types.js';
import type { KubernetesCredentials } from './integration.types.js';

export interface KubernetesResolverDeps {
  credentials(name: string): Promise<KubernetesCredentials | undefined>;
  /** Per API request. */
  timeoutMs?: number;
}

interface PodList {
  items?: { status?: { phase?: string; podIP?: string; podIPs?: { ip?: string }[] } }[];
}
interface NodeList {
  items?: { status?: { addresses?: { type?: string; address?: string }[] } }[];
}

/**
 * Resolves a policy's kubernetes sources to addresses through the integration's API server: the IPs of the
 * Running pods a pod_selector matches, or the InternalIP addresses of the nodes a node_selector matches.
 */
export function createKubernetesResolver(deps: KubernetesResolverDeps) {
  const timeoutMs = deps.timeoutMs ?? 5_000;

  async function resolve(source: KubernetesSource): Promise<string[]> {
    const creds = await deps.credentials(source.integration);
    if (!creds) throw errors.validation(`kubernetes integration "${source.integration}" does not exist`);
    if (source.pod_selector) {
      const { namespace, match_labels } = source.pod_selector;
      const list = await getJson<PodList>(creds, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, match_labels, timeoutMs);
      return unique((list.items ?? []).filter((pod) => pod.status?.phase === 'Running').flatMap(podIps));
    }
    if (source.node_selector) {
      const list = await getJson<NodeList>(creds, '/api/v1/nodes', source.node_selector.match_labels, timeoutMs);
      return unique(
        (list.items ?? []).flatMap((node) => (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP' && a.address && isIP(a.address)).map((a) => a.address!)),
      );
    }
    throw errors.validation(`kubernetes source of integration "${source.integration}" needs a pod_selector or a node_selector`);
  }

  return { resolve };
}

export type KubernetesResolver = ReturnType<typeof createKubernetesResolver>;

function podIps(pod: NonNullable<PodList['items']>[number]): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.filter((ip) => isIP(ip));
}

const unique = (ips: string[]) => [...new Set(ips)];

/** `k1=v1,k2=v2`, sorted so the same selector always makes the same request. */
export function labelSelector(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function getJson<T>(creds: KubernetesCredentials, path: string, labels: Record<string, string> | undefined, timeoutMs: number): Promise<T> {
  const base = new URL(creds.api_server_url);
  const url = new URL(base.pathname.replace(/\/+$/, '') + path, base);
  const selector = labelSelector(labels);
  if (selector) url.searchParams.set('labelSelector', selector);
  const what = `kubernetes integration "${creds.name}": GET ${url.pathname}${url.search}`;

  return new Promise<T>((resolvePromise, reject) => {
    const req = request(
      url,
      { method: 'GET', ca: creds.ca_cert_pem, headers: { authorization: `Bearer ${creds.token}`, accept: 'application/json' }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(failure(`${what} failed: ${err.message}`, err)));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return reject(failure(`${what} answered ${res.statusCode}${statusMessage(body)}`));
          try {
            resolvePromise(JSON.parse(body) as T);
          } catch {
            reject(failure(`${what} answered something that is not JSON`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(failure(`${what} failed: ${err.message}`, err)));
    req.end();
  });
}

/** The message of a Kubernetes Status object, when the error body is one. */
function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { kind?: string; message?: string };
    return status.kind === 'Status' && status.message ? `: ${status.message}` : '';
  } catch {
    return '';
  }
}

function failure(message: string, cause?: unknown): RampartError {
  return new RampartError({ code: 'kubernetes_unavailable', status: 502, fault: 'external', retryable: true, message, cause });
}
