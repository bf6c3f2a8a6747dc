import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';

const surface = 'egress' as const;
const tags = ['egress cluster'];
/** Neuwerk's answer on every membership route of a node that runs without cluster mode. */
const SINGLE_NODE = 'cluster membership requires cluster mode';
const responses = { 503: { description: SINGLE_NODE } };
const notClustered = () => {
  throw errors.unavailable(SINGLE_NODE);
};

/**
 * Neuwerk's Raft membership routes. Rampart's nodes share PostgreSQL instead of a Raft log, so there are no
 * members or voters to manage: each route answers what a Neuwerk running alone answers, 503 with its message.
 * GET /api/v1/cluster/voters is not Neuwerk's (it only has PUT .../members/voters) and answers the same.
 */
export function clusterRoutes(): RouteDefinition<any>[] {
  const read = (path: string, summary: string) =>
    defineRoute({ method: 'GET', path, surface, permission: 'egress_cluster:read', tags, summary, schema: { responses }, handler: notClustered });
  return [
    read('/api/v1/cluster/members', 'Cluster members; 503 "cluster membership requires cluster mode" on a single node'),
    read('/api/v1/cluster/voters', 'Cluster voters; 503 "cluster membership requires cluster mode" on a single node'),
    defineRoute({
      method: 'POST', path: '/api/v1/cluster/members/:node_id/remove', surface, permission: 'egress_cluster:write', tags,
      summary: 'Remove a member; 503 "cluster membership requires cluster mode" on a single node',
      schema: { params: z.object({ node_id: z.string().max(200) }), responses },
      handler: notClustered,
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/cluster/members/voters', surface, permission: 'egress_cluster:write', tags,
      summary: 'Replace the voter set; 503 "cluster membership requires cluster mode" on a single node',
      schema: { responses },
      handler: notClustered,
    }),
  ];
}
