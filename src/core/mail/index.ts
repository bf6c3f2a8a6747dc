export { createMailer, type MailDelivery, type Mailer, type MailMessage, type MailView } from './mailer.js';
export { mailMigrations } from './mail.migrations.js';
export { mailSealedColumns } from './mail.sealed.js';
