import { onTestFinished } from 'vitest';

/** One CloudWatch EMF document as Powertools Metrics prints it: metadata, dimension and metric values. */
export interface EmfLine {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

type Listener = (line: EmfLine) => void;
const listeners = new Set<Listener>();
let original: typeof process.stdout.write | undefined;

/**
 * Collects, until the current test finishes, the EMF lines Powertools Metrics writes to stdout (its
 * own console on process.stdout); every other write passes through. Call it inside a test.
 */
export function captureEmf(): EmfLine[] {
  const lines: EmfLine[] = [];
  const listener: Listener = (line) => lines.push(line);
  listeners.add(listener);
  if (!original) {
    const write = process.stdout.write;
    original = write;
    process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
      if (!text.startsWith('{"_aws":')) return Reflect.apply(write, process.stdout, [chunk, ...rest]);
      for (const line of text.trim().split('\n')) {
        const parsed = JSON.parse(line) as EmfLine;
        for (const notify of listeners) notify(parsed);
      }
      return true;
    }) as typeof process.stdout.write;
  }
  onTestFinished(() => {
    listeners.delete(listener);
    if (listeners.size === 0 && original) {
      process.stdout.write = original;
      original = undefined;
    }
  });
  return lines;
}

/** The dimension sets of a line's one metric directive. */
export function dimensionsOf(line: EmfLine): readonly (readonly string[])[] {
  return line._aws.CloudWatchMetrics[0]?.Dimensions ?? [];
}
