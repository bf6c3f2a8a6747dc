import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { errors, RampartError } from '../../../core/errors.js';
import { sealContext } from '../../../core/secrets/sealed-columns.js';
import type { JobHandler } from '../../../core/jobs/job.types.js';
import type { Alert } from '../alerts/alert.types.js';
import type { AuditWriter } from '../alerts/alert.service.js';
import { fleetSealedColumns } from '../fleet.sealed.js';
import type { FleetNotificationChannelRow } from './notifications.tables.js';
import {
  DELIVER_JOB,
  matchesTags,
  type AlertNotice,
  type ChannelCreateInput,
  type ChannelPatchInput,
  type ChannelView,
  type DeliverPayload,
  type TagFilter,
} from './channel.types.js';
import { changesOfPatch, settingsOfCreate, targetHint } from './channel-input.js';
import { postSlack, postWebhook, sendAlertMail } from './deliver.js';

const urlContext = sealContext(fleetSealedColumns.notificationChannelUrl);
const secretContext = sealContext(fleetSealedColumns.notificationChannelSecret);
const tokenContext = sealContext(fleetSealedColumns.notificationChannelToken);
const DELIVERY_ATTEMPTS = 5;

const notFound = () => new RampartError({ code: 'notifications.not_found', status: 404, message: 'notification channel not found' });
const undelivered = (error: string) =>
  new RampartError({ code: 'notifications.delivery_failed', status: 502, fault: 'external', retryable: true, message: `the test notification was not delivered: ${error}`, details: { error } });
const duplicate = () => new RampartError({ code: 'notifications.duplicate', status: 409, message: 'a notification channel with that name exists' });

export interface Actor {
  id: string | null;
  audit: AuditWriter;
}

/** Notification channels (webhook, email) and the delivery of new alerts to the channels whose tags match. */
export function createChannelService(core: Core) {
  const { db, secrets } = core;
  const k = () => db.kysely;
  const iso = () => core.now().toISOString();

  function view(row: FleetNotificationChannelRow): ChannelView {
    const recipients = row.recipients === null ? undefined : db.dialect.fromJson<string[]>(row.recipients);
    return {
      id: row.id,
      name: row.name,
      kind: row.kind,
      type: row.kind,
      enabled: db.dialect.fromBool(row.enabled),
      tag_filter: db.dialect.fromJson<TagFilter>(row.tag_filter),
      target_hint: row.target_hint,
      ...(recipients ? { to: recipients } : {}),
      secret_set: row.secret_sealed !== null,
      token_set: row.token_sealed !== null,
      last_delivery_at: row.last_delivery_at,
      last_error: row.last_error,
      created_by: row.created_by,
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  const sealOrNull = (value: string | null, context: string) => (value === null ? null : secrets.seal(value, context));

  async function row(id: string): Promise<FleetNotificationChannelRow> {
    const found = await k().selectFrom('fleet_notification_channels').selectAll().where('id', '=', id).executeTakeFirst();
    if (!found) throw notFound();
    return found;
  }

  /** Runs a write, turning a lost race on the unique name into 409. */
  async function uniqueName<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (db.dialect.isUniqueViolation(err)) throw duplicate();
      throw err;
    }
  }

  /** Sends one notice to one channel; throws when the channel did not take it. */
  async function send(channel: FleetNotificationChannelRow, notice: AlertNotice, signal?: AbortSignal): Promise<{ status?: number; mail_ids?: string[] }> {
    const open = (sealed: string | null, context: string) => (sealed === null ? null : secrets.openString(sealed, context));
    if (channel.kind === 'slack') return postSlack(open(channel.url_sealed, urlContext)!, notice, signal);
    if (channel.kind === 'webhook') {
      const keys = { secret: open(channel.secret_sealed, secretContext), token: open(channel.token_sealed, tokenContext) };
      return postWebhook(open(channel.url_sealed, urlContext)!, keys, notice, signal);
    }
    return { mail_ids: await sendAlertMail(core.mail, db.dialect.fromJson<string[]>(channel.recipients), notice) };
  }

  const recordOutcome = (id: string, error: string | null) =>
    k().updateTable('fleet_notification_channels').set(error ? { last_error: error } : { last_delivery_at: iso(), last_error: null }).where('id', '=', id).execute();

  return {
    async list(): Promise<ChannelView[]> {
      const rows = await k().selectFrom('fleet_notification_channels').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(view);
    },

    get: async (id: string) => view(await row(id)),

    async create(input: ChannelCreateInput, actor: Actor): Promise<ChannelView> {
      const settings = settingsOfCreate(input);
      const now = iso();
      const id = randomUUID();
      const created: FleetNotificationChannelRow = {
        id,
        name: settings.name,
        kind: settings.kind,
        enabled: db.dialect.toBool(settings.enabled),
        tag_filter: db.dialect.toJson(settings.tag_filter),
        url_sealed: sealOrNull(settings.url, urlContext),
        target_hint: settings.url ? targetHint(settings.url) : settings.recipients!.join(', '),
        recipients: settings.recipients ? db.dialect.toJson(settings.recipients) : null,
        secret_sealed: sealOrNull(settings.secret, secretContext),
        token_sealed: sealOrNull(settings.token, tokenContext),
        created_by: actor.id,
        created_at: now,
        updated_at: now,
        last_delivery_at: null,
        last_error: null,
      };
      return db.transaction(async () => {
        await uniqueName(() => k().insertInto('fleet_notification_channels').values(created).execute());
        await actor.audit({ action: 'notification.channel.created', resource: { type: 'notification_channel', id }, result: 'success', details: { name: settings.name, kind: settings.kind } });
        return view(created);
      });
    },

    async update(id: string, patch: ChannelPatchInput, actor: Actor): Promise<ChannelView> {
      return db.transaction(async () => {
        const current = await row(id);
        const c = changesOfPatch(current.kind, patch);
        const changes: Partial<FleetNotificationChannelRow> = {
          updated_at: iso(),
          ...(c.name !== undefined ? { name: c.name } : {}),
          ...(c.enabled !== undefined ? { enabled: db.dialect.toBool(c.enabled) } : {}),
          ...(c.tag_filter !== undefined ? { tag_filter: db.dialect.toJson(c.tag_filter) } : {}),
          ...(c.url ? { url_sealed: secrets.seal(c.url, urlContext), target_hint: targetHint(c.url) } : {}),
          ...(c.recipients ? { recipients: db.dialect.toJson(c.recipients), target_hint: c.recipients.join(', ') } : {}),
          ...(c.secret ? { secret_sealed: secrets.seal(c.secret, secretContext) } : {}),
          ...(c.token ? { token_sealed: secrets.seal(c.token, tokenContext) } : {}),
        };
        await uniqueName(() => k().updateTable('fleet_notification_channels').set(changes).where('id', '=', id).execute());
        await actor.audit({ action: 'notification.channel.updated', resource: { type: 'notification_channel', id }, result: 'success', details: { fields: Object.keys(c) } });
        return view({ ...current, ...changes });
      });
    },

    async remove(id: string, actor: Actor): Promise<void> {
      await db.transaction(async () => {
        await row(id);
        await k().deleteFrom('fleet_notification_channels').where('id', '=', id).execute();
        await actor.audit({ action: 'notification.channel.deleted', resource: { type: 'notification_channel', id }, result: 'success' });
      });
    },

    /** Sends a sample alert now: 200 when the channel took it, 502 notifications.delivery_failed saying why when not. */
    async test(id: string, actor: Actor): Promise<{ delivered: true; status?: number }> {
      const channel = await row(id);
      const now = iso();
      const sample: Alert = {
        id: randomUUID(), dedup_key: 'test||', alert_type: 'test', severity: 'info', host_id: null, rule_id: null,
        title: 'Rampart test notification', body: `A test of the notification channel "${channel.name}".`,
        tags: { severity: 'info', alert_type: 'test', host_id: '' }, state: 'active', occurred_at: now,
        acknowledged_by: null, acknowledged_at: null, silenced_by: null, silenced_until: null, resolved_by: null,
        resolved_at: null, dismissed_by: null, dismissed_at: null, created_at: now, updated_at: now,
      };
      let outcome: { delivered: boolean; status?: number; error?: string };
      try {
        const sent = await send(channel, { event: 'alert.test', alert: sample, sent_at: now });
        outcome = { delivered: true, ...(sent.status ? { status: sent.status } : {}) };
        if (sent.mail_ids) {
          await core.mail.idle();
          const failed = [...(await core.mail.deliveries(sent.mail_ids)).values()].find((m) => m.error);
          if (failed) outcome = { delivered: false, error: failed.error! };
        }
      } catch (err) {
        outcome = { delivered: false, error: (err as Error).message };
      }
      await recordOutcome(id, outcome.delivered ? null : outcome.error!);
      await actor.audit({ action: 'notification.channel.tested', resource: { type: 'notification_channel', id }, result: outcome.delivered ? 'success' : 'failure', details: outcome });
      if (!outcome.delivered) throw undelivered(outcome.error!);
      return { delivered: true, ...(outcome.status ? { status: outcome.status } : {}) };
    },

    /** In the transaction that created the alert: one delivery job per enabled channel whose filter matches. */
    async enqueueDeliveries(alert: Alert): Promise<void> {
      const channels = await k().selectFrom('fleet_notification_channels').selectAll().where('enabled', '=', db.dialect.toBool(true)).execute();
      for (const channel of channels) {
        if (!matchesTags(db.dialect.fromJson<TagFilter>(channel.tag_filter), alert.tags)) continue;
        await core.jobs.queue.enqueue<DeliverPayload>(DELIVER_JOB, { channel_id: channel.id, alert_id: alert.id }, { maxAttempts: DELIVERY_ATTEMPTS });
      }
    },

    /** The job handler: delivers one alert to one channel; a failure is retried with backoff by the queue. */
    deliveryHandler(getAlert: (id: string) => Promise<Alert>): JobHandler<DeliverPayload> {
      return async (job, ctx) => {
        const channel = await k().selectFrom('fleet_notification_channels').selectAll().where('id', '=', job.payload.channel_id).executeTakeFirst();
        if (!channel || !db.dialect.fromBool(channel.enabled)) return; // deleted or turned off since: nothing to send
        const alert = await getAlert(job.payload.alert_id);
        try {
          await send(channel, { event: 'alert.created', alert, sent_at: iso() }, ctx.signal);
        } catch (err) {
          await recordOutcome(channel.id, (err as Error).message);
          throw err;
        }
        await recordOutcome(channel.id, null);
      };
    },
  };
}

export type ChannelService = ReturnType<typeof createChannelService>;
