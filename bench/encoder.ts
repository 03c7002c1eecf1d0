import { Writable } from 'node:stream';
import { encodeParquet, type ParquetColumn, type ParquetRow } from '@apphub/parquet';
import { parquetMetadata } from 'hyparquet';
import parquetjsLite from 'parquetjs-lite';

// parquetjs-lite is CommonJS: its classes hang off the default export.
const { ParquetSchema, ParquetWriter } = parquetjsLite;

export interface EncoderResult {
  readonly name: string;
  readonly rowsPerSecond: number;
  readonly bytes: number;
  readonly millis: number;
}

const columns: ParquetColumn[] = [
  { name: 'user_id', type: 'string', nullable: false },
  { name: 'window_start', type: 'timestamp', nullable: false },
  { name: 'window_end', type: 'timestamp', nullable: false },
  { name: 'event_count', type: 'int64', nullable: false },
  { name: 'total_value', type: 'double', nullable: false },
];

/** Rows shaped like the sample aggregates: `users` users x as many minutes as needed. */
export function aggregateRows(count: number, users = 1000): ParquetRow[] {
  const base = Date.UTC(2026, 10, 29, 0, 0);
  return Array.from({ length: count }, (_, index) => {
    const start = base + Math.floor(index / users) * 60_000;
    return {
      user_id: `u-${String(index % users).padStart(4, '0')}`,
      window_start: start,
      window_end: start + 60_000,
      event_count: BigInt(1 + (index % 17)),
      total_value: ((index * 7919) % 100_000) / 100,
    };
  });
}

async function encodeWithParquetjsLite(rows: readonly ParquetRow[]): Promise<Uint8Array> {
  const schema = new ParquetSchema({
    user_id: { type: 'UTF8' },
    window_start: { type: 'TIMESTAMP_MILLIS' },
    window_end: { type: 'TIMESTAMP_MILLIS' },
    event_count: { type: 'INT64' },
    total_value: { type: 'DOUBLE' },
  });
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const writer = await ParquetWriter.openStream(schema, sink, { rowGroupSize: 128 * 1024 });
  for (const row of rows) {
    await writer.appendRow({
      user_id: row.user_id,
      window_start: new Date(row.window_start as number),
      window_end: new Date(row.window_end as number),
      event_count: Number(row.event_count),
      total_value: row.total_value,
    });
  }
  await writer.close();
  return Buffer.concat(chunks);
}

async function measure(
  name: string,
  rows: readonly ParquetRow[],
  encode: () => Promise<Uint8Array>,
  rounds: number,
) {
  await encode(); // warm-up: JIT and WebAssembly compilation are not what we compare
  let best = Number.POSITIVE_INFINITY;
  let bytes: Uint8Array = new Uint8Array();
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    bytes = await encode();
    best = Math.min(best, performance.now() - started);
  }
  const metadata = parquetMetadata(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  );
  if (Number(metadata.num_rows) !== rows.length) {
    throw new Error(`${name} wrote ${metadata.num_rows} rows instead of ${rows.length}`);
  }
  return { name, millis: best, bytes: bytes.byteLength, rowsPerSecond: (rows.length / best) * 1000 };
}

/** The project's encoder against parquetjs-lite on the same rows (best of `rounds`, after a warm-up). */
export async function benchmarkEncoders(rowCount: number, rounds = 3): Promise<EncoderResult[]> {
  const rows = aggregateRows(rowCount);
  return [
    await measure(
      '@apphub/parquet (apache-arrow + parquet-wasm, snappy)',
      rows,
      async () => encodeParquet(columns, rows),
      rounds,
    ),
    await measure('parquetjs-lite 0.8.7 (design card)', rows, () => encodeWithParquetjsLite(rows), rounds),
  ];
}
