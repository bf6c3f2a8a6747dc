import { errors } from '../../../core/errors.js';
import type { ChannelKind } from './notifications.tables.js';
import type { ChannelCreateInput, ChannelPatchInput, TagFilter } from './channel.types.js';

/** A channel's settings in one form, whichever form the client used (channel.types.ts). */
export interface ChannelSettings {
  name: string;
  kind: ChannelKind;
  enabled: boolean;
  tag_filter: TagFilter;
  url: string | null;
  recipients: string[] | null;
  secret: string | null;
  token: string | null;
}

const invalid = (message: string, field: string) => errors.validation(message, { details: { field } });

function pick<T>(field: string, a: T | undefined, b: T | undefined): T | undefined {
  if (a !== undefined && b !== undefined && JSON.stringify(a) !== JSON.stringify(b)) throw invalid(`${field} is given twice with different values`, field);
  return a ?? b;
}

/** Checks that the settings fit the kind: a URL for webhook and Slack, recipients for email, secrets only where used. */
function checkFits(s: Pick<ChannelSettings, 'kind' | 'url' | 'recipients' | 'secret' | 'token'>, creating: boolean): void {
  const web = s.kind !== 'email';
  if (web && s.recipients) throw invalid(`a ${s.kind} channel takes a url, not recipients`, 'to');
  if (!web && s.url) throw invalid('an email channel takes recipients, not a url', 'url');
  if (s.kind !== 'webhook' && s.secret) throw invalid('only webhook channels take a signing secret', 'secret');
  if (s.kind !== 'webhook' && s.token) throw invalid('only webhook channels take a bearer token', 'token');
  if (creating && web && !s.url) throw invalid(`a ${s.kind} channel needs a url`, 'url');
  if (creating && !web && !s.recipients) throw invalid('an email channel needs recipients', 'to');
}

export function settingsOfCreate(input: ChannelCreateInput): ChannelSettings {
  const kind = pick('kind', input.kind, input.type);
  if (!kind) throw invalid('kind (or type) is required: webhook, slack or email', 'kind');
  const settings: ChannelSettings = {
    name: input.name,
    kind,
    enabled: input.enabled ?? true,
    tag_filter: input.tag_filter ?? {},
    url: pick('url', input.config?.url, input.url) ?? null,
    recipients: pick('to', input.config?.recipients, input.to) ?? null,
    secret: input.secret ?? null,
    token: input.token ?? null,
  };
  checkFits(settings, true);
  return settings;
}

/** The changes a patch makes; the kind cannot change, and an absent secret keeps the stored one. */
export function changesOfPatch(kind: ChannelKind, input: ChannelPatchInput): Partial<ChannelSettings> {
  const asked = pick('kind', input.kind, input.type);
  if (asked && asked !== kind) throw invalid('the kind of a channel cannot change', 'kind');
  const url = pick('url', input.config?.url, input.url);
  const recipients = pick('to', input.config?.recipients, input.to);
  checkFits({ kind, url: url ?? null, recipients: recipients ?? null, secret: input.secret ?? null, token: input.token ?? null }, false);
  return {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
    ...(input.tag_filter !== undefined ? { tag_filter: input.tag_filter } : {}),
    ...(url !== undefined ? { url } : {}),
    ...(recipients !== undefined ? { recipients } : {}),
    ...(input.secret !== undefined ? { secret: input.secret } : {}),
    ...(input.token !== undefined ? { token: input.token } : {}),
  };
}

/** What a channel shows instead of its URL: scheme, host and port (a Slack URL's path is its credential). */
export function targetHint(url: string): string {
  return new URL(url).origin;
}
