/** One named readiness condition, as Neuwerk's GET /ready lists them: `detail` says what is missing when not ok. */
export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail: string | null;
}

export type ReadinessProbe = () => ReadinessCheck | Promise<ReadinessCheck>;

/**
 * Conditions modules add to readiness beside the database's (the egress data plane and DNS proxy while they run),
 * so the health module reports them without importing any module's files.
 */
export interface ReadinessRegistry {
  /** Adds a probe; returns its removal (a module's stop hook calls it). */
  register(probe: ReadinessProbe): () => void;
  /** Every registered probe's check now; a probe that throws is a failed check named after its error. */
  checks(): Promise<ReadinessCheck[]>;
}

export function createReadinessRegistry(): ReadinessRegistry {
  const probes = new Set<ReadinessProbe>();
  return {
    register(probe) {
      probes.add(probe);
      return () => void probes.delete(probe);
    },
    async checks() {
      return Promise.all(
        [...probes].map(async (probe) => {
          try {
            return await probe();
          } catch (err) {
            return { name: 'module', ok: false, detail: (err as Error).message };
          }
        }),
      );
    },
  };
}
