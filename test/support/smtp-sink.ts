import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server (the `smtp-server` package) on a local port that parses every message it
 * accepts back with `mailparser`. `stop()` and `start()` simulate an outage on the same port.
 */
export async function smtpSink() {
  const messages: ParsedMail[] = [];
  /** SMTP reply codes the next messages are refused with (read and dropped, never stored), one each. */
  const refusals: number[] = [];
  const make = () => new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, _session, done) {
      const refusal = refusals.shift();
      if (refusal !== undefined) {
        stream.on('end', () => done(Object.assign(new Error('injected refusal'), { responseCode: refusal })));
        stream.resume();
        return;
      }
      simpleParser(stream).then((m) => { messages.push(m); done(); }, done);
    },
  });
  let server = make();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    /** The next message is refused with `responseCode` (e.g. 451, a temporary failure the sender retries). */
    refuseNext(responseCode: number) { refusals.push(responseCode); },
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async start() {
      server = make();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
  };
}
