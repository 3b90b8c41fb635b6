import { SMTPServer } from 'smtp-server';

export interface SinkMessage {
  to: string[];
  raw: string;
}

/**
 * A real SMTP server on loopback that collects what it is sent. `failNext` makes it answer the
 * next DATA commands with a given SMTP code (4xx: temporary, 5xx: permanent).
 */
export async function startSmtpSink(): Promise<{ url: string; messages: SinkMessage[]; failNext(code: number, times: number): void; close(): Promise<void> }> {
  const messages: SinkMessage[] = [];
  let failCode = 0;
  let failTimes = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failTimes > 0) {
          failTimes--;
          const err = new Error(failCode >= 500 ? 'mailbox unavailable' : 'try again later') as Error & { responseCode: number };
          err.responseCode = failCode;
          callback(err);
          return;
        }
        messages.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  // A client that goes away mid-session (a shop process killed while sending) is a connection error
  // the server reports as an 'error' event; like a real mail server, the sink carries on.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    failNext(code, times) {
      failCode = code;
      failTimes = times;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
