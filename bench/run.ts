import { randomUUID } from 'node:crypto';
import { describeError, parseLocalEndpoints } from '@apphub/platform';
import { localKafka } from '../local/src/stack/index.js';
import { benchmarkEncoders } from './encoder.js';
import { microBatch, rawConsume, seedTopic } from './throughput.js';

/**
 * `npm run bench`: on one freshly seeded topic, the micro-batcher's end-to-end throughput against
 * the raw consume rate of the same client (target ratio >= 0.5), then the Parquet encoder against
 * parquetjs-lite on the same rows (target >= 5x). Needs the local stack (npm run local:up).
 */
async function main(): Promise<void> {
  const minutes = Number(process.env.BENCH_MINUTES ?? 60);
  const batchSize = Number(process.env.BENCH_BATCH_SIZE ?? 10_000);
  const encoderRows = Number(process.env.BENCH_ENCODER_ROWS ?? 100_000);
  const endpoints = parseLocalEndpoints();
  const kafka = localKafka(endpoints, 'apphub-bench');
  const topic = `bench-mb-${randomUUID().slice(0, 8)}`;

  console.log(`seeding ${topic}: ${minutes} minutes x 1000 users of aggregates on 3 partitions...`);
  const total = await seedTopic(kafka, topic, minutes);
  const raw = await rawConsume(kafka, topic, total);
  const batched = await microBatch(kafka, endpoints, topic, total, batchSize);
  const ratio = batched.recordsPerSecond / raw.recordsPerSecond;

  console.log(`\nThroughput on ${total} records (${topic}, same kafkajs client, measured in this run)\n`);
  console.log('| path | records | seconds | records/s | Node CPU s | notes |');
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  for (const row of [raw, batched]) {
    console.log(
      `| ${row.name} | ${row.records} | ${row.seconds.toFixed(2)} | ${Math.round(row.recordsPerSecond)} | ${row.cpuSeconds.toFixed(2)} | ${row.detail} |`,
    );
  }
  console.log(
    `\nratio micro-batcher / raw consume: ${ratio.toFixed(2)} (target >= 0.5) ${ratio >= 0.5 ? 'PASS' : 'BELOW TARGET'}`,
  );

  const [ours, lite] = await benchmarkEncoders(encoderRows);
  const speedup = ours!.rowsPerSecond / lite!.rowsPerSecond;
  console.log(`\nParquet encoding of ${encoderRows} aggregate rows (5 columns; best of 3 after a warm-up)\n`);
  console.log('| encoder | ms | rows/s | file bytes |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const row of [ours!, lite!]) {
    console.log(
      `| ${row.name} | ${row.millis.toFixed(0)} | ${Math.round(row.rowsPerSecond)} | ${row.bytes} |`,
    );
  }
  console.log(
    `\nspeed-up over parquetjs-lite: ${speedup.toFixed(1)}x (target >= 5x) ${speedup >= 5 ? 'PASS' : 'BELOW TARGET'}; ` +
      `size ratio ${(lite!.bytes / ours!.bytes).toFixed(1)}x smaller`,
  );
  if (ratio < 0.5 || speedup < 5) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${describeError(error)}\n`);
  process.exitCode = 1;
});
