import net from 'node:net';
import { ActionableError } from './errors.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `n` distinct free ports: all are held until every one is found, so no two calls return the same port. */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      servers.push(await new Promise<net.Server>((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
      }));
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** Whether something already listens on host:port: we can neither bind it nor find it closed. */
export async function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  const bindable = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (!bindable) return true;
  // A listener on another address of this host (e.g. ::) may still answer on 127.0.0.1.
  const connectHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ port, host: connectHost });
    socket.setTimeout(500);
    const done = (inUse: boolean) => {
      socket.destroy();
      resolve(inUse);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

export interface PortClaim {
  /** The setting that chose the port, e.g. `BATON_PG_PORT`: the message names it. */
  variable: string;
  port: number;
  host?: string;
  /** What Baton wanted to run there, e.g. `the embedded PostgreSQL`. */
  purpose: string;
}

/**
 * Refuses to start when a port Baton is about to listen on is taken: without this check Baton
 * would report ready against whatever answers there (another instance's PostgreSQL or Temporal).
 * The message is one line naming the variable to change.
 */
export async function assertPortsFree(claims: PortClaim[]): Promise<void> {
  const seen = new Map<number, string>();
  for (const c of claims) {
    const other = seen.get(c.port);
    if (other) throw new ActionableError(`${c.variable} and ${other} are both ${c.port}; give each its own port.`);
    seen.set(c.port, c.variable);
  }
  for (const c of claims) {
    const host = c.host ?? '127.0.0.1';
    if (await portInUse(c.port, host)) {
      throw new ActionableError(`${c.variable}=${c.port} is already in use on ${host} (wanted for ${c.purpose}); stop whatever listens there or set ${c.variable} to a free port.`);
    }
  }
}
