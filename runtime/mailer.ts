/**
 * The SMTP connector's transport (issue 15): configured at start-up from BATON_SMTP_URL and
 * BATON_MAIL_FROM. Without it, no email delivery is queued (db/deliveries.ts asks `mailEnabled`).
 */
import nodemailer, { type Transporter } from 'nodemailer';

let mail: { transport: Transporter; from: string; publicUrl?: string } | undefined;

/** `publicUrl` (BATON_PUBLIC_URL): where the API answers from outside, for the one-click unsubscribe links (RFC 8058). */
export function configureMailer(smtpUrl: string | undefined, from: string | undefined, publicUrl?: string): void {
  mail?.transport.close();
  mail = smtpUrl && from ? { transport: nodemailer.createTransport(smtpUrl), from, ...(publicUrl ? { publicUrl } : {}) } : undefined;
}

export const mailEnabled = () => mail !== undefined;
export const mailer = () => mail;
