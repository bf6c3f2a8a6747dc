import type { paths } from '../../app/api/generated/v1';

/**
 * The edge surface's shapes, from the OpenAPI document Rampart serves (`npm run ui:api` writes
 * ui/src/app/api/generated/v1.ts): a route whose answer changes breaks the console's type check, not a page.
 * Only the firewall's request bodies stay written here: those routes take AiFw's free-form bodies.
 */
type Method = 'get' | 'post' | 'put' | 'delete';
type JsonOf<R> = R extends { content: { 'application/json': infer J } } ? J : never;
/** The JSON body a route answers on success (200 or 201). */
export type Answer<P extends keyof paths, M extends Method = 'get'> = paths[P][M] extends { responses: infer R }
  ? R extends { 200: infer Ok } ? JsonOf<Ok> : R extends { 201: infer Created } ? JsonOf<Created> : never
  : never;
/** The JSON body a route takes. */
export type BodyOf<P extends keyof paths, M extends Method> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
/** One item of a `{data: [...]}` list (GET /api/v1/rules shares its path with the fleet surface: its data is optional there). */
type Item<T> = T extends { data?: Array<infer I> } ? I : never;

export type Rule = Item<Answer<'/api/v1/rules'>>;
export type PortRange = NonNullable<Rule['rule_match']['src_port']>;
export type Alias = Item<Answer<'/api/v1/aliases'>>;
export type Schedule = Item<Answer<'/api/v1/schedules'>>;
export type NatRule = Item<Answer<'/api/v1/nat'>>;
export type InterfaceSummary = Item<Answer<'/api/v1/interfaces'>>;
export type InterfaceDetail = Item<Answer<'/api/v1/interfaces/detailed'>>;
export type Vlan = Item<Answer<'/api/v1/vlans'>>;
export type VlanBody = BodyOf<'/api/v1/vlans', 'post'>;
export type StaticRoute = Item<Answer<'/api/v1/routes'>>;
export type RouteBody = BodyOf<'/api/v1/routes', 'post'>;
export type InterfaceConfigBody = BodyOf<'/api/v1/interfaces/config/{name}', 'put'>;
export type SystemRoute = Item<Answer<'/api/v1/routes/system'>>;
export type Connection = Item<Answer<'/api/v1/connections'>>;
export type BlockedEntry = Item<Answer<'/api/v1/blocked'>>;
export type LogEntry = Item<Answer<'/api/v1/logs'>>;
export type Pending = Answer<'/api/v1/pending'>;
export type CommitConfirmStatus = Answer<'/api/v1/config/commit-confirm/status'>;
export type ConfigVersion = Item<Answer<'/api/v1/config/history'>>;
export type ConfigDiff = Answer<'/api/v1/config/diff'>['data'];
export type RestorePreview = Answer<'/api/v1/config/restore-preview'>;

/** What POST/PUT /api/v1/rules take (flat, as AiFw's form sends it). */
export type RuleBody = {
  action: string;
  direction: string;
  protocol: string;
  ip_version?: string;
  interface?: string;
  src_addr: string;
  src_port_start?: number | null;
  src_port_end?: number | null;
  src_invert?: boolean;
  dst_addr: string;
  dst_port_start?: number | null;
  dst_port_end?: number | null;
  dst_invert?: boolean;
  log: boolean;
  quick: boolean;
  label?: string;
  description?: string;
  schedule_id?: string | null;
  state_tracking: string;
  status: string;
};

/** What POST/PUT /api/v1/nat take. */
export type NatBody = {
  nat_type: string;
  interface: string;
  protocol: string;
  src_addr?: string;
  src_port_start?: number;
  src_port_end?: number;
  dst_addr?: string;
  dst_port_start?: number;
  dst_port_end?: number;
  redirect_addr?: string;
  redirect_port_start?: number;
  redirect_port_end?: number;
  label?: string;
  status: string;
};

/** What POST/PUT /api/v1/aliases take: an alias without its id, stamps and resolved state. */
export type AliasBody = Pick<Alias, 'name' | 'alias_type' | 'entries' | 'description' | 'enabled'>;
/** What POST/PUT /api/v1/schedules take: ranges and days as lists or AiFw's comma-separated text. */
export type ScheduleBody = Pick<Schedule, 'name' | 'enabled'> & { description?: string | null; time_ranges: string[] | string; days_of_week?: string[] | string | null };

/** "HH:MM-HH:MM,..." or a list: the ranges one by one. */
export function rangesOf(s: Schedule): string[] {
  return (Array.isArray(s.time_ranges) ? s.time_ranges : String(s.time_ranges ?? '').split(',')).map((r) => r.trim()).filter(Boolean);
}

export const WEEK = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** The days a schedule runs on, lower-case three letters; every day when it names none. */
export function daysOf(s: Schedule): string[] {
  const raw = Array.isArray(s.days_of_week) ? s.days_of_week : String(s.days_of_week ?? '').split(',');
  const days = raw.map((d) => d.trim().slice(0, 3).toLowerCase()).filter((d) => (WEEK as readonly string[]).includes(d));
  return days.length ? days : [...WEEK];
}

export function formatPort(port: PortRange | null | undefined): string {
  if (!port) return '';
  return port.start === port.end ? String(port.start) : `${port.start}-${port.end}`;
}

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** "443" or "8000-8080" to start/end; empty: nothing. Throws on anything else. */
export function parsePorts(value: string | undefined, what: string): { start?: number; end?: number } {
  const v = (value ?? '').trim();
  if (!v) return {};
  const m = /^(\d{1,5})(?:\s*[-:]\s*(\d{1,5}))?$/.exec(v);
  const start = m ? Number(m[1]) : NaN;
  const end = m?.[2] ? Number(m[2]) : start;
  if (!m || start < 1 || end > 65535 || end < start) throw new Error(`${what}: a port (1-65535) or a range like 8000-8080`);
  return end === start ? { start } : { start, end };
}
