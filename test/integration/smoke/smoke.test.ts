import { FlinkRestClient } from '@apphub/flink';
import { sampleBatcherDescriptor } from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';
import { runNativeSmoke } from '../../../local/src/smoke/native.js';
import { createTopic, endpoints, jobsRemovedAfterAll, uniqueName } from '../helpers.js';

const jobs = jobsRemovedAfterAll();

describe('the smoke test on the native stack', () => {
  it('submits the sample job, runs the micro-batcher, and passes every step to the sealed window', async () => {
    // Prepare: topics, a job name, a dataset and a batcher group of this test's own.
    const job = {
      jobName: uniqueName('it-smoke'),
      inputTopic: uniqueName('it-smoke-input'),
      outputTopic: uniqueName('it-smoke-aggregates'),
      deadLetterTopic: uniqueName('it-smoke-dead-letters'),
      groupId: uniqueName('it-smoke-job-group'),
    };
    await Promise.all([
      createTopic(job.inputTopic),
      createTopic(job.outputTopic),
      createTopic(job.deadLetterTopic),
    ]);
    const dataset = {
      ...sampleBatcherDescriptor,
      dataset: uniqueName('it-smoke'),
      topic: job.outputTopic,
      // The aggregates topic goes quiet after the run's few aggregates: seal soon after.
      idleTimeout: '5 s',
    };

    // Act
    const report = await runNativeSmoke(
      { job, datasets: [dataset], batcherStackPrefix: uniqueName('it-smoke') },
      { timeoutMs: 540_000 },
    ).finally(async () => {
      const running = (await new FlinkRestClient({ baseUrl: endpoints.flinkRestUrl }).jobs()).filter(
        (each) => each.name === job.jobName,
      );
      for (const each of running) jobs.push({ jobId: each.id, jobName: job.jobName });
    });

    // Assess
    expect(report.steps.map((step) => [step.name, step.status])).toEqual([
      ['local stack', 'PASS'],
      [`sample job ${job.jobName}`, 'PASS'],
      ['micro-batcher', 'PASS'],
      [`produce the sample to ${job.inputTopic}`, 'PASS'],
      ['close the window', 'PASS'],
      [`aggregates on ${job.outputTopic}`, 'PASS'],
      [`rows in the lake (${dataset.dataset})`, 'PASS'],
      ['window sealed in the lake', 'PASS'],
    ]);
    expect(report.passed).toBe(true);
    const detail = (name: string) => report.steps.find((step) => step.name === name)!.detail;
    expect(detail(`sample job ${job.jobName}`)).toMatch(
      /^was not running: submitted through the control plane as /,
    );
    expect(detail('micro-batcher')).toMatch(
      /^was not running: started npm run batcher \(group it-smoke-[0-9a-f]{8}\.micro-batcher\./,
    );
    expect(detail(`aggregates on ${job.outputTopic}`)).toMatch(/^6 of 6 equal the expected aggregates/);
    expect(detail('window sealed in the lake')).toMatch(/sealed: manifest .+ readable, watermark/);
  });
});
