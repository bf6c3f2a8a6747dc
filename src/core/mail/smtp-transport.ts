import type { Transporter } from 'nodemailer';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
}

export interface MailTransport {
  deliver(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * Delivery through an SMTP server named by an smtp:// or smtps:// URL (credentials in it). Timeouts are short:
 * a mail server that does not answer must not hold deliveries for nodemailer's default two minutes.
 */
export function createSmtpTransport(url: string): MailTransport {
  // nodemailer is a large package most starts never use: it loads with the first delivery.
  let transporter: Promise<Transporter> | undefined;
  const connect = () =>
    (transporter ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 } as never),
    ));
  return {
    async deliver(mail) {
      await (await connect()).sendMail(mail);
    },
    close: () => void transporter?.then((t) => t.close()),
  };
}
