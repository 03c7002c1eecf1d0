import { z } from 'zod';
import { ConfigInvalidError } from './errors.js';

/**
 * Parses `value` with a zod schema and turns the first problems into one readable line that
 * names `where` (a file, a variable, a descriptor) and the offending field path.
 */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ConfigInvalidError(`${where} is invalid: ${describeIssues(result.error)}`, {
    cause: result.error,
  });
}

/** A zod error's problems on one line: `field.path: message; ...` (`(root)` for the value itself). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * A variable holding JSON: the text is parsed, then checked with `schema`; text that is not JSON is
 * one issue saying so, with `example` of what is expected.
 */
export function jsonTextSchema<T extends z.ZodType>(schema: T, example: string) {
  return z
    .string()
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: `expected JSON, e.g. ${example}` });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

export { z };
