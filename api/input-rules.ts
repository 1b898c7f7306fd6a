import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from './context.js';
import { validationProblem, type FieldError } from './problem.js';

/**
 * The one input rule for every text Baton accepts, applied once to the whole request before any
 * route sees it: no control characters other than tab, line feed and carriage return (C0 controls,
 * DEL and C1 controls are refused — PostgreSQL cannot store NUL, and the others only ever smuggle
 * something into a log, a feed or a terminal), and no `__proto__` key anywhere in a JSON body.
 * A violation is a 400 problem naming each offending field, whatever the route.
 */
export const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
/** The same rule as a JSON-Schema pattern, published on every text field of the OpenAPI document. */
export const TEXT_PATTERN = '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$';
const FORBIDDEN_KEYS = new Set(['__proto__']);
/** Headers Baton reads; everything else is ignored and so not judged. */
const READ_HEADERS = ['authorization', 'idempotency-key', 'content-type'] as const;
const MAX_REPORTED = 20;

const CONTROL_MESSAGE = 'must not contain control characters (only tab, line feed and carriage return are allowed)';

export function isJsonContentType(contentType: string | undefined): boolean {
  return !!contentType && /^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(contentType);
}

/** Every string and key of a JSON value that breaks the rule, as field errors with their path. */
export function jsonTextErrors(value: unknown, location: FieldError['location'] = 'body'): FieldError[] {
  const errors: FieldError[] = [];
  const walk = (v: unknown, path: string[]) => {
    if (errors.length >= MAX_REPORTED) return;
    if (typeof v === 'string') {
      if (FORBIDDEN_CONTROL.test(v)) errors.push({ location, path: path.join('.') || '(root)', message: CONTROL_MESSAGE });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...path, String(i)]));
    } else if (v && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        if (FORBIDDEN_KEYS.has(k)) errors.push({ location, path: [...path, k].join('.'), message: `the key ${k} is not allowed` });
        else if (FORBIDDEN_CONTROL.test(k)) errors.push({ location, path: [...path, JSON.stringify(k)].join('.'), message: `key ${CONTROL_MESSAGE}` });
        else walk(item, [...path, k]);
      }
    }
  };
  walk(value, []);
  return errors;
}

function pathErrors(rawPath: string): FieldError[] {
  const errors: FieldError[] = [];
  rawPath.split('/').forEach((segment, i) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      errors.push({ location: 'path', path: `segment ${i}`, message: 'is not valid percent-encoded UTF-8' });
      return;
    }
    if (FORBIDDEN_CONTROL.test(decoded)) errors.push({ location: 'path', path: `segment ${i}`, message: CONTROL_MESSAGE });
  });
  return errors;
}

function queryErrors(url: URL): FieldError[] {
  const errors: FieldError[] = [];
  for (const [name, value] of url.searchParams) {
    if (FORBIDDEN_CONTROL.test(name)) errors.push({ location: 'query', path: JSON.stringify(name), message: `name ${CONTROL_MESSAGE}` });
    else if (FORBIDDEN_CONTROL.test(value)) errors.push({ location: 'query', path: name, message: CONTROL_MESSAGE });
  }
  return errors;
}

/** Parses the JSON body and judges it. */
async function bodyErrors(req: { header(name: string): string | undefined; text(): Promise<string>; method: string }): Promise<FieldError[]> {
  if (!BODY_METHODS.has(req.method) || !isJsonContentType(req.header('content-type'))) return [];
  let body: unknown;
  try {
    // The raw text is what Hono caches, so later readers (validators, request hashes) see the same bytes.
    body = JSON.parse(await req.text());
  } catch {
    return []; // malformed JSON: the route's validator answers it (400)
  }
  return jsonTextErrors(body);
}

/** Methods Baton serves; any other is answered 405 by the router, whatever it carries. */
const SERVED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Methods whose body Baton reads. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export const inputRules: MiddlewareHandler<ApiEnv> = async (c, next) => {
  if (!SERVED_METHODS.has(c.req.method)) return next();
  let url: URL;
  try {
    url = new URL(c.req.url);
  } catch {
    throw validationProblem([{ location: 'path', path: '(url)', message: 'is not a valid URL' }]);
  }
  const errors = [...pathErrors(url.pathname), ...queryErrors(url)];
  for (const name of READ_HEADERS) {
    const value = c.req.header(name);
    if (value !== undefined && FORBIDDEN_CONTROL.test(value)) errors.push({ location: 'header', path: name, message: CONTROL_MESSAGE });
  }
  errors.push(...(await bodyErrors(c.req)));
  if (errors.length > 0) throw validationProblem(errors.slice(0, MAX_REPORTED), 'The request contains text Baton does not accept: control characters other than tab, line feed and carriage return, or a __proto__ key.');
  await next();
};
