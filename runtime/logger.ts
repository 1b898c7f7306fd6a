import { pino, type Logger } from 'pino';

/** Baton's structured JSON logger (one line per record on stdout). */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', name = 'baton'): Logger {
  return pino({ name, level, base: { service: name }, timestamp: pino.stdTimeFunctions.isoTime });
}

export type { Logger };
