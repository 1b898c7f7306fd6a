import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * Debian's Chromium, for the console's browser tests (playwright-core drives it and never
 * downloads a browser). `baton tools ensure` installs it with apt-get when it runs as root and the
 * package is missing; otherwise it says how.
 */
export const CHROMIUM_PATH = process.env.BATON_CHROMIUM_PATH ?? '/usr/bin/chromium';

export function ensureChromium(log: (m: string) => void = () => {}): string {
  if (fs.existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && fs.existsSync('/usr/bin/apt-get') && !process.env.BATON_CHROMIUM_PATH) {
    log('installing Debian\'s chromium (apt-get) for the console\'s browser tests');
    for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-liberation']]) {
      const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status}); install Chromium yourself: apt-get install -y chromium`);
    }
    if (fs.existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  }
  throw new Error(`Chromium is missing at ${CHROMIUM_PATH} (the console's browser tests need it): run \`sudo apt-get install -y chromium\`, or set BATON_CHROMIUM_PATH to a Chromium binary.`);
}
