import { z } from 'zod';
import { isUuid } from '../../../core/db/ids.js';

/** A whole number in a query string, clamped into [min, max] as OpenWatch does rather than refused; non-numbers are 400s. */
export const clampedInt = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^-?\d{1,10}$/, `${name} must be a whole number`)
    .transform((v) => Math.min(max, Math.max(min, Number(v))))
    .optional()
    .transform((v) => v ?? fallback);

/** A limit refused outside its range (the fleet endpoints' 1-1000). */
export const strictLimit = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, 'limit must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `limit must be at least ${min}`).max(max, `limit must be at most ${max}`))
    .optional()
    .transform((v) => v ?? fallback);

export const rfc3339 = (name: string) =>
  z
    .string()
    .refine((v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)), `${name} must be an RFC 3339 time`)
    .transform((v) => new Date(v).toISOString());

export const frameworkParam = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.-]+$/, 'framework must be a framework id such as cis or cis_ubuntu2204');

/** A path id: anything but a UUID names nothing, so the route answers 404 rather than asking the database. */
export const idParam = z.object({ id: z.string().max(64) });
export const uuidOrNothing = (id: string) => isUuid(id);
