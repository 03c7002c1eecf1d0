import { z } from 'zod';
import { ConfigInvalidError } from './errors.js';

/**
 * Parses `value` with a zod schema and turns the first problems into one readable line that
 * names `where` (a file, a variable, a descriptor) and the offending field path.
 */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
  throw new ConfigInvalidError(`${where} is invalid: ${problems.join('; ')}`, { cause: result.error });
}

export { z };
