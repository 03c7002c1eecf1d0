import { parseWith, z } from '@apphub/platform';
import { SampleError } from './errors.js';

/** An input event of the sample job, as it travels as JSON on apphub.streaming.input (key: user_id). */
export interface SampleEvent {
  readonly event_id: string;
  readonly user_id: string;
  readonly event_type: string;
  readonly value: number;
  /** ISO-8601 UTC with milliseconds, e.g. 2026-11-29T10:00:00.000Z. */
  readonly occurred_at: string;
}

const isoUtcMillis = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const sampleEventSchema = z.strictObject({
  event_id: z.string().min(1),
  user_id: z.string().min(1),
  event_type: z.string().min(1),
  value: z.number().finite(),
  occurred_at: z
    .string()
    .regex(isoUtcMillis, 'expected ISO-8601 UTC with milliseconds, e.g. 2026-11-29T10:00:00.000Z')
    .refine((text) => !Number.isNaN(Date.parse(text)), 'not a real date'),
});

/** A line of an events file failed to parse or validate. */
export class SampleEventInvalidError extends SampleError {}

/**
 * Parses JSON Lines into events. Every invalid line is reported with its line number and the whole
 * file is rejected, so a partly valid file never sends half its events.
 */
export function parseEventLines(text: string, source: string): SampleEvent[] {
  const events: SampleEvent[] = [];
  const problems: string[] = [];
  // A byte-order mark (editors on Windows write one) is not part of the first line's JSON; CRLF
  // endings are fine as they are, since JSON.parse takes the trailing \r for whitespace.
  text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .forEach((line, index) => {
      if (!line.trim()) return;
      const where = `${source}:${index + 1}`;
      try {
        events.push(parseWith(sampleEventSchema, JSON.parse(line), where));
      } catch (error) {
        problems.push(
          error instanceof SyntaxError
            ? `${where} is not valid JSON: ${error.message}`
            : (error as Error).message,
        );
      }
    });
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('\n  ');
    throw new SampleEventInvalidError(
      `${problems.length} invalid line(s) in ${source}, nothing was sent:\n  ${shown}${problems.length > 10 ? '\n  ...' : ''}`,
    );
  }
  return events;
}
