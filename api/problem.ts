import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** RFC 9457 problem details. `type` is a stable URN per problem kind so clients can branch on it. */
export const FieldErrorSchema = z.object({
  location: z.enum(['body', 'query', 'path', 'header']),
  path: z.string().openapi({ example: 'maturity' }),
  message: z.string(),
});
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:baton:problem:validation' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(FieldErrorSchema).optional(),
  })
  .passthrough()
  .openapi('Problem');
export type Problem = z.infer<typeof ProblemSchema>;
export type FieldError = z.infer<typeof FieldErrorSchema>;

export class ProblemError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly kind: string,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
    /** Response headers that go with the problem (e.g. Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = 'ProblemError';
  }
}

export const notFound = (what: string, id: string) => new ProblemError(404, 'not-found', `${what} not found`, `No ${what.toLowerCase()} with id ${id}.`);
export const conflict = (detail: string, extra?: Record<string, unknown>) => new ProblemError(409, 'conflict', 'Conflict', detail, extra);
export const unprocessable = (detail: string, extra?: Record<string, unknown>) => new ProblemError(422, 'unprocessable', 'Request cannot be applied', detail, extra);
export const validationProblem = (errors: FieldError[], detail = 'The request is not valid.') =>
  new ProblemError(400, 'validation', 'Invalid request', detail, { errors });

export function problemResponse(c: Context, p: ProblemError): Response {
  const body: Problem = {
    type: `urn:baton:problem:${p.kind}`,
    title: p.title,
    status: p.status,
    ...(p.detail ? { detail: p.detail } : {}),
    instance: redactSecrets(c.req.path),
    requestId: c.get('requestId' as never) as string | undefined,
    ...p.extra,
  };
  return c.body(JSON.stringify(body), p.status, { ...p.headers, 'content-type': 'application/problem+json' });
}

/** zod issues → field errors with the request part they came from. */
export function fieldErrors(location: FieldError['location'], issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.map((i) => ({ location, path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

/** Calendar-feed tokens are credentials carried in the URL; nothing Baton writes or echoes keeps them. */
export const redactSecrets = (text: string) => text.replace(/batcal_[A-Za-z0-9_-]+/g, 'batcal_[redacted]');
