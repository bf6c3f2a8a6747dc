import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../../src/core/db/database.js';
import { errors } from '../../src/core/errors.js';
import type { Surface } from '../../src/http/dialects.js';
import { defineRoute } from '../../src/http/route.js';
import type { RampartModule } from '../../src/modules/module.js';

interface ProbeNoteRow {
  id: string;
  text: string;
  created_at: string;
}

declare module '../../src/core/db/tables.js' {
  interface Tables {
    probe_notes: ProbeNoteRow;
  }
}

const noteBody = z.object({ text: z.string().min(1).max(10_000) });
const note = z.object({ id: z.string(), text: z.string() });

/** Echo routes on one path of each surface, to exercise the kit in every dialect. */
export const surfacePaths: Record<Surface, string> = {
  fleet: '/api/v1/probe/echo',
  egress: '/api/v1/egress-probe/echo',
  edge: '/api/v1/edge-probe/echo',
  overlay: '/api/probe/echo',
  access: '/v1/probe/echo',
};

/**
 * A module that exists only in tests: a tiny notes table and routes that write it, so the HTTP kit (audit,
 * idempotency, errors, shutdown) is tested through the same path real modules take.
 */
export function probeModule(): RampartModule {
  return {
    name: 'probe',
    migrations: [
      {
        name: '0001_probe_notes',
        async up(db, d) {
          await db.schema
            .createTable('probe_notes')
            .addColumn('id', d.types.uuid, (c) => c.primaryKey())
            .addColumn('text', 'text', (c) => c.notNull())
            .addColumn('created_at', d.types.timestamp, (c) => c.notNull())
            .execute();
        },
      },
    ],
    http: (core) => {
      const insert = async (db: Database, text: string) => {
        const row = { id: randomUUID(), text, created_at: core.now().toISOString() };
        await db.kysely.insertInto('probe_notes').values(row).execute();
        return row;
      };
      return {
        name: 'probe',
        routes: [
          ...Object.entries(surfacePaths).map(([surface, path]) =>
            defineRoute({
              method: 'POST', path, surface: surface as Surface, permission: 'public', summary: 'echo',
              schema: { body: noteBody, response: noteBody },
              handler: ({ body }) => body,
            }),
          ),
          defineRoute({
            method: 'POST', path: '/api/v1/probe/notes', surface: 'fleet', permission: 'public', summary: 'create a note',
            audit: 'probe.note.create', idempotency: 'optional', status: 201,
            schema: { body: noteBody, response: note },
            handler: async (ctx) => {
              const { body } = ctx;
              const row = await insert(core.db, body.text);
              ctx.auditResource('probe_note', row.id, { length: body.text.length });
              return { id: row.id, text: row.text };
            },
          }),
          defineRoute({
            method: 'POST', path: '/api/v1/probe/slow-notes', surface: 'fleet', permission: 'public', summary: 'a write that takes a while',
            status: 201,
            schema: { body: noteBody, query: z.object({ delay_ms: z.coerce.number().int().min(0).max(2000).default(0) }), response: note },
            handler: async ({ body, query }) =>
              core.db.transaction(async () => {
                const row = await insert(core.db, body.text);
                await new Promise((resolve) => setTimeout(resolve, query.delay_ms));
                return { id: row.id, text: row.text };
              }),
          }),
          defineRoute({
            method: 'POST', path: '/api/v1/probe/keyed-notes', surface: 'fleet', permission: 'public', summary: 'create a note, key required',
            idempotency: 'required', status: 201,
            schema: { body: noteBody, response: note },
            handler: async ({ body }) => {
              const row = await insert(core.db, body.text);
              return { id: row.id, text: row.text };
            },
          }),
          defineRoute({
            method: 'POST', path: '/api/v1/probe/rejected-notes', surface: 'fleet', permission: 'public', summary: 'always a conflict',
            idempotency: 'optional', schema: { body: noteBody },
            handler: () => {
              throw errors.conflict('note already exists');
            },
          }),
          defineRoute({
            method: 'GET', path: '/api/v1/probe/notes/count', surface: 'fleet', permission: 'public', summary: 'count notes',
            schema: { response: z.object({ count: z.number() }) },
            handler: async () => {
              const r = await core.db.kysely.selectFrom('probe_notes').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
              return { count: Number(r.count) };
            },
          }),
          defineRoute({
            method: 'GET', path: '/v1/probe/limited', surface: 'access', permission: 'public', summary: 'three per minute per IP',
            rateLimit: { max: 3, windowMs: 60_000 }, schema: {},
            handler: () => ({ ok: true }),
          }),
          defineRoute({
            method: 'GET', path: '/api/v1/probe/crash', surface: 'fleet', permission: 'public', summary: 'an unexpected error',
            schema: {},
            handler: () => {
              throw new Error('secret internals: /etc/rampart/key');
            },
          }),
          defineRoute({
            method: 'GET', path: '/api/v1/probe/private', surface: 'fleet', permission: 'probe:read', summary: 'needs a principal',
            schema: {},
            handler: () => ({ ok: true }),
          }),
          defineRoute({
            method: 'GET', path: '/api/v1/probe/items/:id', surface: 'fleet', permission: 'public', summary: 'typed params and query',
            schema: { params: z.object({ id: z.uuid() }), query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }) },
            handler: ({ params, query }) => ({ id: params.id, limit: query.limit }),
          }),
        ],
      };
    },
  };
}
