import { platform } from '@apphub/platform';
import { afterAll, describe, expect, it } from 'vitest';
import { FLINK_METRICS, JOB_NAME_DIMENSION } from '../../../cdk/lib/flink-metrics.js';
import { cleanUp, eventually, localPlane, SampleScenario } from '../control-plane/harness.js';
import { endpoints } from '../helpers.js';

/** Prometheus text from one reporter: metric name → the label sets of its samples. */
async function scrape(port: number): Promise<Map<string, Record<string, string>[]>> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const samples = new Map<string, Record<string, string>[]>();
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((label) => [
        label[1],
        label[2],
      ]),
    );
    samples.set(match[1]!, [...(samples.get(match[1]!) ?? []), labels as Record<string, string>]);
  }
  return samples;
}

/**
 * The metrics the ECS deployment ships to CloudWatch (cdk/lib/flink-metrics.ts: the CloudWatch agent's
 * scrape filter, the alarms, the dashboard) exist under exactly those names on Flink's own Prometheus
 * reporter, with the label the alarms use as a dimension, as the native stack's Flink 2.2.1 exports them.
 */
describe('Flink metrics shipped to CloudWatch', () => {
  const plane = localPlane();
  const scenario = new SampleScenario(91);

  afterAll(() => cleanUp(plane, scenario.jobName));

  it('are exported by the JobManager and TaskManagers under the names and labels the alarms read', async () => {
    await scenario.createTopics();
    await scenario.produce(scenario.phaseA);
    await scenario.submit(plane);
    await scenario.waitForWindows(scenario.closedByPhaseA());
    const [first] = platform.ports.prometheusTaskManagerRange.split('-').map(Number);
    const ports = [
      platform.ports.prometheusJobManager,
      ...Array.from({ length: endpoints.taskManagers }, (_, index) => first! + index),
    ];

    const missing = await eventually(
      'every shipped metric on a reporter',
      async () => {
        const scraped = await Promise.all(ports.map(scrape));
        const absent = Object.values(FLINK_METRICS).filter((metric) => {
          const samples = scraped.flatMap((reporter) => reporter.get(metric.name) ?? []);
          if (samples.length === 0) return true;
          return metric.scope !== 'jobmanager' && !samples.some((labels) => labels[JOB_NAME_DIMENSION]);
        });
        // Thrown, so a timeout names what is still absent.
        if (absent.length > 0) throw new Error(`absent: ${absent.map((metric) => metric.name).join(', ')}`);
        return absent;
      },
      120_000,
      2_000,
    );
    expect(missing).toEqual([]);
  });
});
