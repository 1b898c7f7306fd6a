import { pino, type Logger } from 'pino';
import { safeErrorForLog } from '../db/errors.js';

/**
 * Baton's structured JSON logger (one line per record on stdout). Errors are logged without SQL
 * parameters or PostgreSQL's `detail` (personal data, key hashes), under `err` and `error` alike.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', name = 'baton', destination?: pino.DestinationStream): Logger {
  return pino({
    name, level, base: { service: name }, timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: safeErrorForLog, error: safeErrorForLog },
  }, destination);
}

export type { Logger };
