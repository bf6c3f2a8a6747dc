import { createHmac } from 'node:crypto';
import type { Mailer } from '../../../core/mail/mailer.js';
import type { AlertNotice } from './channel.types.js';

/** The header carrying `sha256=<hex HMAC-SHA256 of the raw body under the channel's secret>`. */
export const SIGNATURE_HEADER = 'x-rampart-signature';
const WEBHOOK_TIMEOUT_MS = 10_000;

export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** POSTs the notice as JSON, signed; a non-2xx answer or no answer is a failure (the job retries it). */
export async function postWebhook(url: string, secret: string, notice: AlertNotice, signal?: AbortSignal): Promise<{ status: number }> {
  const body = JSON.stringify(notice);
  const timeout = AbortSignal.timeout(WEBHOOK_TIMEOUT_MS);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signBody(body, secret),
      'x-rampart-event': notice.event,
      'user-agent': 'rampart-fleet-notifier',
    },
    body,
    redirect: 'manual',
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
  await res.arrayBuffer().catch(() => undefined); // drain, so the connection is released
  if (res.status < 200 || res.status > 299) throw new Error(`webhook answered ${res.status}`);
  return { status: res.status };
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
