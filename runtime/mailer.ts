/**
 * The SMTP connector's transport (issue 15): configured at start-up from BATON_SMTP_URL and
 * BATON_MAIL_FROM. Without it, no email delivery is queued (db/deliveries.ts asks `mailEnabled`).
 */
import nodemailer, { type Transporter } from 'nodemailer';

let mail: { transport: Transporter; from: string } | undefined;

export function configureMailer(smtpUrl: string | undefined, from: string | undefined): void {
  mail?.transport.close();
  mail = smtpUrl && from ? { transport: nodemailer.createTransport(smtpUrl), from } : undefined;
}

export const mailEnabled = () => mail !== undefined;
export const mailer = () => mail;
