import { createHmac } from 'node:crypto';
import type { Mailer } from '../../../core/mail/mailer.js';
import type { AlertNotice } from './channel.types.js';

/** The header carrying `sha256=<hex HMAC-SHA256 of the raw body under the channel's secret>`. */
export const SIGNATURE_HEADER = 'x-rampart-signature';
const WEBHOOK_TIMEOUT_MS = 10_000;

export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** POSTs JSON; a non-2xx answer or no answer within the timeout is a failure (the job retries it). */
async function postJson(url: string, body: string, headers: Record<string, string>, signal?: AbortSignal): Promise<{ status: number }> {
  const timeout = AbortSignal.timeout(WEBHOOK_TIMEOUT_MS);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'rampart-fleet-notifier', ...headers },
    body,
    redirect: 'manual',
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
  await res.arrayBuffer().catch(() => undefined); // drain, so the connection is released
  if (res.status < 200 || res.status > 299) throw new Error(`the receiver answered ${res.status}`);
  return { status: res.status };
}

/** The notice as JSON, signed with the channel's secret when it has one, with its bearer token when it has one. */
export function postWebhook(url: string, keys: { secret: string | null; token: string | null }, notice: AlertNotice, signal?: AbortSignal) {
  const body = JSON.stringify(notice);
  return postJson(
    url,
    body,
    {
      'x-rampart-event': notice.event,
      ...(keys.secret ? { [SIGNATURE_HEADER]: signBody(body, keys.secret) } : {}),
      ...(keys.token ? { authorization: `Bearer ${keys.token}` } : {}),
    },
    signal,
  );
}

/** One line of text, as a Slack incoming webhook takes it. */
export function postSlack(url: string, notice: AlertNotice, signal?: AbortSignal) {
  const { alert } = notice;
  const text = `[${alert.severity}] ${alert.title}${notice.event === 'alert.test' ? ' (test)' : ''}${alert.body ? ` - ${alert.body}` : ''}`;
  return postJson(url, JSON.stringify({ text }), {}, signal);
}

/** One mail per recipient through the core mailer (SMTP when configured, else the outbox). */
export async function sendAlertMail(mail: Mailer, recipients: string[], notice: AlertNotice): Promise<string[]> {
  const { alert } = notice;
  const subject = `[${alert.severity}] ${alert.title}${notice.event === 'alert.test' ? ' (test)' : ''}`;
  const text = [
    alert.body,
    '',
    `Type: ${alert.alert_type}`,
    `Severity: ${alert.severity}`,
    `Host: ${alert.host_id ?? '-'}`,
    ...(alert.rule_id ? [`Rule: ${alert.rule_id}`] : []),
    `State: ${alert.state}`,
    `Occurred: ${alert.occurred_at}`,
    `Alert id: ${alert.id}`,
  ].join('\n');
  const ids: string[] = [];
  for (const to of recipients) ids.push((await mail.send({ to, subject, text })).id);
  return ids;
}
