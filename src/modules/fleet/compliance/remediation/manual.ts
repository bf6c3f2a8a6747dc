import { z } from 'zod';
import type { Mechanism } from './step.js';

const manualFields = z.strictObject({ mechanism: z.literal('manual'), note: z.string().min(1) });

/** manual: no automatic change (repartitioning, bootloader passwords); the note tells the operator what to do. */
export const manual: Mechanism<z.infer<typeof manualFields>> = { fields: manualFields, steps: () => [] };
