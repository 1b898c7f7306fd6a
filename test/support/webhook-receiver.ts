import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  id: string;
  timestamp: number;
  /** Whether the Standard Webhooks signature verified with the subscription's secret (and the timestamp is fresh). */
  verified: boolean;
  body: { type: string; timestamp: string; data: Record<string, any> };
  receivedAt: number;
  status: number;
}

/**
 * A webhook receiver as a customer would run it: verifies each request's Standard Webhooks
 * signature with the secret it was given, records every request (so tests can count duplicates)
 * and answers what the test scripts (`respond`). `stop()` and `start()` simulate an outage on the same port.
 */
export async function webhookReceiver() {
  const requests: ReceivedWebhook[] = [];
  let secret: string | undefined;
  let respond: (r: ReceivedWebhook) => { status: number; headers?: Record<string, string> } = () => ({ status: 204 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let verified = false;
      try {
        if (secret) {
          new Webhook(secret).verify(raw, headers);
          verified = true;
        }
      } catch {
        verified = false;
      }
      const r: ReceivedWebhook = { id: headers['webhook-id'] ?? '', timestamp: Number(headers['webhook-timestamp']), verified, body: JSON.parse(raw), receivedAt: Date.now(), status: 0 };
      const answer = verified ? respond(r) : { status: 401 };
      r.status = answer.status;
      requests.push(r);
      res.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    requests,
    setSecret(s: string) { secret = s; },
    setResponder(f: typeof respond) { respond = f; },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async start() {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
  };
}
