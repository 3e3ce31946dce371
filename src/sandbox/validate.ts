/** Request validation with the API's zod schemas: first issue → 400 INVALID_REQUEST with a dotted `field`. */
import type { z } from 'zod';
import { ApiFailure } from './errors.js';

export function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  const message = issue ? (path ? `${path}: ${issue.message}` : issue.message) : 'Invalid request';
  throw new ApiFailure(400, 'INVALID_REQUEST', message, path || 'body');
}
