import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';

export interface MailMessage {
  messageId: string;
  to: string;
  subject: string;
  text: string;
}

/** Where mail goes: SMTP in production, `.eml` files for a newcomer and for demos. */
export interface MailTransport {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export class SmtpTransport implements MailTransport {
  private readonly transporter: Transporter;
  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    // Pooled: a few connections reused for many mails (a notice run sends thousands), instead of a
    // connection, greeting and QUIT per mail; the outbox worker sends a batch with bounded concurrency.
    // A silent mail server is given up on after 5–10 s, inside the outbox row's lease
    // (MAIL_LEASE_SECONDS, at least 15): a hung send does not go on until another process takes the mail over.
    this.transporter = nodemailer.createTransport({
      url: smtpUrl, pool: true, maxConnections: 5, maxMessages: 1000, connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 10_000,
    });
  }
  async send(m: MailMessage): Promise<void> {
    await this.transporter.sendMail({ from: this.from, to: m.to, subject: m.subject, text: m.text, messageId: m.messageId });
  }
  close(): void {
    this.transporter.close();
  }
}

/** Writes each mail as `<dir>/<message id>.eml`: a retry overwrites the same file, never doubles it. */
export class FileTransport implements MailTransport {
  private readonly builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  constructor(
    private readonly dir: string,
    private readonly from: string,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  async send(m: MailMessage): Promise<void> {
    const info = await this.builder.sendMail({ from: this.from, to: m.to, subject: m.subject, text: m.text, messageId: m.messageId });
    const name = m.messageId.replace(/[<>]/g, '').replace(/[^A-Za-z0-9_.@-]/g, '_');
    const file = join(this.dir, `${name}.eml`);
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, info.message as Buffer, { mode: 0o600 });
    renameSync(tmp, file);
  }
  close(): void {}
}
