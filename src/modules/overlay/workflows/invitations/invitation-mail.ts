import type { MailMessage } from '../../../../core/mail/mailer.js';
import type { NetworkRole } from '../../overlay.tables.js';

export interface InvitationMailInput {
  to: string;
  networkName: string;
  inviter: string;
  role: NetworkRole;
  permissions: string[];
  expiresAt: string;
  /** The web console's base URL ([overlay] public_url). */
  publicUrl: string;
  token: string;
}

/** The link the invitee opens: the console's invitation page, which reads /api/invitations/public/<token>. */
export function invitationLink(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/invitations/${token}`;
}

export function invitationMail(input: InvitationMailInput): MailMessage {
  const grants = input.permissions.length ? `, allowed to ${input.permissions.join(', ')}` : '';
  return {
    to: input.to,
    subject: `Invitation to join the network ${input.networkName}`,
    text: [
      `${input.inviter} invited you to join the Nebula network "${input.networkName}" as ${input.role === 'owner' ? 'an owner' : 'a member'}${grants}.`,
      '',
      'Accept the invitation here:',
      invitationLink(input.publicUrl, input.token),
      '',
      `The invitation expires at ${input.expiresAt}. If you did not expect it, ignore this mail.`,
      '',
    ].join('\n'),
  };
}
