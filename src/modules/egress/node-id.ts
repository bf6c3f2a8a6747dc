import { hostname } from 'node:os';
import type { Core } from '../../core/index.js';

/** This gateway's name in findings, wiretap events and stats: egress.node_id, or the host name. */
export const nodeIdOf = (core: Pick<Core, 'config'>) => core.config.egress.node_id || hostname();
