import type { Core } from '../../../core/index.js';
import type { EdgeHooks } from '../edge.types.js';
import { createFrameService } from './frame.service.js';

/** Wires the frame part: pending flags (hooks.markPending) and the one metrics producer. */
export function wireFrame(core: Core, hooks: EdgeHooks) {
  const frame = createFrameService(core, hooks);
  hooks.markPending = (kinds) => frame.markPending(kinds);
  return frame;
}
