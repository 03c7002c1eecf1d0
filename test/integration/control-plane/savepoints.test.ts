import { ControlPlaneError, handleSavepointEvent } from '@apphub/control-plane';
import { platform } from '@apphub/platform';
import { afterAll, describe, expect, it } from 'vitest';
import {
  captureEmf,
  cleanUp,
  eventually,
  hasMetadata,
  localPlane,
  metricTotal,
  objectsUnder,
  SampleScenario,
  scheduledEvent,
} from './harness.js';

describe('scheduled savepoints on the real cluster', () => {
  const plane = localPlane({ APPHUB_SAVEPOINT_MAX_COUNT: '2' });
  const scenario = new SampleScenario(21);
  const event = scheduledEvent([scenario.jobName]);

  afterAll(() => cleanUp(plane, scenario.jobName));

  it('completes each savepoint with _metadata at the recorded location and deletes the oldest beyond the count', async () => {
    await scenario.createTopics();
    await scenario.produce(scenario.phaseA);
    const { jobId } = await scenario.submit(plane);
    // The schedule reads /jobs/overview, which Flink caches for a few seconds: wait on the same view.
    await eventually('all tasks of the job to run', async () =>
      (await plane.rest.jobs()).find((job) => job.id === jobId)?.allTasksRunning ? true : undefined,
    );

    const locations: string[] = [];
    const emf = captureEmf();
    for (let round = 0; round < 3; round += 1) {
      const [outcome] = await handleSavepointEvent(plane, event);
      expect(outcome?.decision).toEqual({ action: 'trigger' });
      expect(outcome?.savepoint?.status).toBe('COMPLETED');
      const location = outcome!.savepoint!.location!;
      // In the checkpoint bucket on MinIO, through Flink's S3 plugin, as on ECS; read back with the SDK.
      expect(location).toMatch(
        new RegExp(`^s3://${platform.storage.checkpointBucket}/savepoints/${scenario.jobName}/savepoint-`),
      );
      expect(await hasMetadata(location)).toBe(true);
      locations.push(location);
    }

    const history = await plane.savepoints.history(scenario.jobName);
    expect(history.map((entry) => entry.location).sort()).toEqual([locations[1], locations[2]].sort());
    expect(history.every((entry) => entry.status === 'COMPLETED' && entry.jobId === jobId)).toBe(true);
    expect(await objectsUnder(locations[0]!)).toEqual([]);
    expect(await hasMetadata(locations[2]!)).toBe(true);
    // The job's retained checkpoints are in the same bucket, next to the savepoints.
    const checkpoint = (await plane.rest.checkpoints(jobId)).latestCompleted?.externalPath;
    expect(checkpoint).toMatch(
      new RegExp(`^s3://${platform.storage.checkpointBucket}/checkpoints/${jobId}/chk-\\d+$`),
    );
    expect(await hasMetadata(checkpoint!)).toBe(true);
    expect(metricTotal(emf, scenario.jobName, 'SavepointsCompleted')).toBe(3);
    // The same counts in the invocation's metrics (dimension Service), which the CDK alarms read.
    plane.metrics.publishStoredMetrics();
    expect(metricTotal(emf, undefined, 'SavepointsCompleted')).toBe(3);
  });

  it('reports a savepoint Flink cannot write as a failed invocation with the root cause, and records it', async () => {
    const unwritable = localPlane({ APPHUB_SAVEPOINT_DIR: 'file:///proc/apphub-unwritable-savepoints' });
    const emf = captureEmf();

    const error = await handleSavepointEvent(unwritable, event).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ControlPlaneError);
    expect((error as Error).message).toMatch(
      new RegExp(`^savepoint failed for 1 job\\(s\\): ${scenario.jobName}: Savepoint of job \\w+ failed: .+`),
    );
    expect((error as Error).message.split('\n')).toHaveLength(1);
    const failed = (await plane.savepoints.history(scenario.jobName)).filter(
      (entry) => entry.status === 'FAILED',
    );
    expect(failed).toHaveLength(1);
    expect(failed[0]?.directory).toBe(`file:///proc/apphub-unwritable-savepoints/${scenario.jobName}`);
    expect(metricTotal(emf, scenario.jobName, 'SavepointsFailed')).toBe(1);
  });

  it('skips a job that is not running, and an event that is not a schedule is rejected', async () => {
    const [record] = await Promise.all([plane.jobs.get(scenario.jobName)]);
    await plane.rest.cancel(record!.jobId!);
    await eventually('the job to be cancelled', async () =>
      (await plane.rest.job(record!.jobId!)).state === 'CANCELED' ? true : undefined,
    );

    const [outcome] = await handleSavepointEvent(plane, event);

    expect(outcome?.decision).toEqual({ action: 'skip', reason: 'job is CANCELED' });
    await expect(handleSavepointEvent(plane, { source: 'aws.s3' })).rejects.toThrow(
      /^EventBridge scheduled event is invalid: /,
    );
  });
});
