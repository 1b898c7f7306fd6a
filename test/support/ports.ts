import fs from 'node:fs';
import net from 'node:net';

/**
 * Free ports for servers a test starts, drawn from below the kernel's ephemeral range. A port the
 * OS hands out for `listen(0)` comes from the same range as the source ports of outgoing
 * connections, so a test that restarts a server on "its" port could find it taken by any
 * connection a parallel test file opened meanwhile (seen in CI: "BATON_TEMPORAL_UI_PORT=43277 is
 * already in use"). Below the range only another listener can take it.
 */
export async function freePorts(n: number): Promise<number[]> {
  const ceiling = ephemeralRangeStart();
  const floor = Math.max(1024, ceiling - 12_000);
  const held: net.Server[] = [];
  try {
    for (let tries = 0; held.length < n; tries++) {
      if (tries > 500) throw new Error(`no ${n} free ports between ${floor} and ${ceiling - 1}`);
      const port = floor + Math.floor(Math.random() * (ceiling - floor));
      const server = await bind(port);
      if (server) held.push(server);
    }
    return held.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  }
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

function ephemeralRangeStart(): number {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 2048) return low;
  } catch {
    // not Linux: below Linux's default range is below IANA's dynamic range (49152) too
  }
  return 32768;
}

function bind(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}
