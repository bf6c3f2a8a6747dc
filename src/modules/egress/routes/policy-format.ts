import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import type { RouteContext } from '../../../http/route.js';
import { toYaml, YAML_CONTENT_TYPE } from '../policy/policy.yaml.js';

export const formatQuery = z.object({ format: z.string().optional().describe('yaml for application/yaml, json (default)') });

/** Answers YAML when ?format=yaml asks for it (any case, as Neuwerk); JSON otherwise. */
export function respond(ctx: RouteContext<any>, value: unknown) {
  const format = (ctx.query.format ?? 'json').toLowerCase();
  if (format === 'json') return value;
  if (format !== 'yaml') throw errors.validation('format: must be json or yaml');
  // The route kit fixes one content type per route; this one varies with the query, so the reply is sent here.
  void ctx.raw.reply.code(200).type(YAML_CONTENT_TYPE).send(toYaml(value));
  return undefined;
}
