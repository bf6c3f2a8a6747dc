import type { ComponentType } from 'react';
import type { RouteObject } from 'react-router';

/** A link in the side navigation; hidden when the caller lacks its permission. */
export interface NavLink {
  path: string;
  label: string;
  icon: ComponentType<{ size?: number; 'aria-hidden'?: boolean }>;
  permission?: string;
}

/**
 * What a Rampart module brings to the console: its navigation group and its routes. Each module lives in
 * src/modules/<name>/index.ts and is listed once in app/modules.ts; its pages load lazily (one chunk per page),
 * so a module's weight is paid only when its pages are opened.
 */
export interface ConsoleModule {
  name: string;
  /** The navigation group's heading. */
  label: string;
  nav: NavLink[];
  /** Routes inside the signed-in shell (paths relative to /). */
  routes: RouteObject[];
  /** Routes anyone may open, outside the shell (an invitation link, an SSO callback). */
  publicRoutes?: RouteObject[];
}

/** A lazily loaded page: `page(() => import('./pages/UsersPage'), 'UsersPage')`. */
export function page<M extends Record<string, unknown>>(load: () => Promise<M>, name: keyof M & string): RouteObject['lazy'] {
  return async () => ({ Component: (await load())[name] as ComponentType });
}
