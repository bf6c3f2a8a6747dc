import type { Core } from '../../../core/index.js';
import type { RuntimeStatus } from './runtime.js';

interface ReadinessSources {
  runtime: { readonly enabled: boolean; status(): RuntimeStatus };
  dnsProxy: unknown | null;
}

/**
 * The gateway's conditions in GET /ready, named as Neuwerk names them: the data plane runs, the newest policy
 * generation applied without error, the DNS proxy answers. Returns their removal.
 */
export function registerReadiness(core: Pick<Core, 'readiness'>, s: ReadinessSources): () => void {
  const removals = [
    core.readiness.register(() => ({
      name: 'dataplane_running', ok: s.runtime.enabled, detail: s.runtime.enabled ? null : 'dataplane engine not running',
    })),
    core.readiness.register(() => {
      const { error } = s.runtime.status();
      return { name: 'policy_ready', ok: error === null, detail: error === null ? null : `the newest policy generation failed to apply: ${error}` };
    }),
    core.readiness.register(() => ({
      name: 'dns_allowlist', ok: s.dnsProxy !== null, detail: s.dnsProxy !== null ? null : 'dns proxy not ready',
    })),
  ];
  return () => removals.forEach((remove) => remove());
}
