/** CloudWatch metric units used by this project. */
export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds' | 'Bytes' | 'None';

/**
 * Collects metrics during one invocation and writes them as one CloudWatch Embedded Metric Format
 * line on flush: CloudWatch turns it into metrics in AWS, and locally it is a readable JSON line.
 */
export class Metrics {
  private readonly values = new Map<string, { unit: MetricUnit; value: number }>();

  constructor(
    private readonly namespace: string,
    private readonly dimensions: Readonly<Record<string, string>>,
    private readonly sink: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {}

  /** Adds `value` to the metric `name` (metrics of one invocation are summed). */
  add(name: string, unit: MetricUnit, value = 1): void {
    const current = this.values.get(name);
    this.values.set(name, { unit, value: (current?.value ?? 0) + value });
  }

  /** The values collected so far, for tests and local summaries. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.values].map(([name, metric]) => [name, metric.value]));
  }

  /** Writes the EMF line (if anything was recorded) and starts over. */
  flush(timestamp = Date.now()): void {
    if (this.values.size === 0) return;
    const metrics = [...this.values].map(([name, metric]) => ({ Name: name, Unit: metric.unit }));
    const line = {
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          { Namespace: this.namespace, Dimensions: [Object.keys(this.dimensions)], Metrics: metrics },
        ],
      },
      ...this.dimensions,
      ...this.snapshot(),
    };
    this.values.clear();
    this.sink(JSON.stringify(line));
  }
}
