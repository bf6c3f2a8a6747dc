/**
 * The set-up the edge e2e files share: an EdgeLab (edge-lab.ts) with a real Rampart serving in its edge namespace,
 * the initial admin's API, and the assertions every such test makes, whose failure messages carry Rampart's recent
 * output and the edge's ruleset.
 *
 *   const file = edgeE2eFile('fw');                  // at the top: the lab and scratch directory go after the tests
 *   const lab = file.createLab();                    // in the test
 *   const edge = await file.startRampart(lab, { env });
 *   await edge.ok(edge.api('POST', '/api/v1/rules', rule), 201);
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { EdgeLab, type EdgeAddressing } from './edge-lab.js';
import type { ServingRampart } from './lab-base.js';
import { adminApi, type Answer, type Api } from './socket-api.js';
import { waitFor } from './wait.js';

export interface EdgeRampartOptions {
  env?: NodeJS.ProcessEnv;
  /** More for failure messages (a DHCP server's output), put between Rampart's output and the ruleset. */
  context?: () => string;
}

/** The edge's Rampart and its admin API; the API stays usable across stop() and start(). */
export class EdgeRampart {
  readonly dataDir: string;
  readonly socket: string;
  /** The Rampart running now. */
  rampart!: ServingRampart;
  private caller!: Api;

  constructor(
    private readonly lab: EdgeLab,
    dir: string,
    private readonly opts: EdgeRampartOptions = {},
  ) {
    this.dataDir = join(dir, 'data');
    this.socket = join(dir, 'rampart.sock');
  }

  /** Starts (or starts again) Rampart on the same data dir and signs in as its initial admin. */
  async start(): Promise<void> {
    this.rampart = await this.lab.startRampart({ dataDir: this.dataDir, socket: this.socket, env: this.opts.env });
    this.caller = await adminApi(this.socket, this.dataDir);
  }

  /** Stops Rampart (SIGTERM); resolves with its exit code. */
  async stop(): Promise<number | null> {
    this.rampart.proc.kill('SIGTERM');
    return this.rampart.exited;
  }

  /** One API call as the admin of the Rampart running now. */
  readonly api: Api = (method, path, body) => this.caller(method, path, body);

  /** Rampart's recent output, the extra context, and the edge's ruleset: for assertion messages. */
  readonly ctx = (): string => {
    const extra = this.opts.context ? `\n${this.opts.context()}` : '';
    return `${this.rampart.context()}${extra}\n--- ruleset:\n${this.lab.ruleset()}`;
  };

  /** Asserts the answer's status; its JSON. */
  readonly ok = async (res: Promise<Answer>, status = 200): Promise<any> => {
    const answer = await res;
    assert.equal(answer.status, status, `${answer.body}\n${this.ctx()}`);
    return answer.json();
  };

  /** Applies the configuration. */
  readonly reload = (): Promise<any> => this.ok(this.api('POST', '/api/v1/reload'));

  /** Polls until a new connection's outcome is as expected (a ruleset change takes effect for new connections). */
  readonly expectReach = async (what: string, probe: () => Promise<string | null>, reachable: boolean, timeoutMs = 20_000): Promise<void> => {
    await waitFor(what, async () => ((await probe()) !== null) === reachable, timeoutMs).catch((err) => assert.fail(`${err.message}\n${this.ctx()}`));
  };
}

/**
 * For one edge e2e file: a scratch directory (`rampart-edge-<label>-e2e-*`), and an after() hook that destroys the
 * lab and removes the directory, failed test or not.
 */
export function edgeE2eFile(label: string) {
  const dir = mkdtempSync(join(tmpdir(), `rampart-edge-${label}-e2e-`));
  let lab: EdgeLab | undefined;
  after(async () => {
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    createLab(addressing?: EdgeAddressing): EdgeLab {
      lab = EdgeLab.create(addressing);
      return lab;
    },
    /** The edge's Rampart on `lab`, serving (data in `dir`). */
    async startRampart(on: EdgeLab, opts: EdgeRampartOptions = {}): Promise<EdgeRampart> {
      const edge = new EdgeRampart(on, dir, opts);
      await edge.start();
      return edge;
    },
  };
}
