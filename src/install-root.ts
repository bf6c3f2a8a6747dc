import { fileURLToPath } from 'node:url';

/**
 * The directory Rampart is installed in (the repository root). This module sits one level below it both as source
 * (src/) and compiled (the build writes every chunk at the top of dist/), so the same relative path holds for both.
 */
export const installRoot = fileURLToPath(new URL('..', import.meta.url));
