import { parquetMetadata, parquetRead } from 'hyparquet';

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * hyparquet's own reading of DECIMAL values is a JavaScript number (it rounds); with the DECIMAL
 * annotation taken out of the metadata it hands out the stored two's-complement bytes (or INT32 and
 * INT64 integers) instead, which this turns into the exact unscaled integer.
 */
export async function unscaledDecimals(bytes: Uint8Array, column: string): Promise<(bigint | null)[]> {
  const file = toArrayBuffer(bytes);
  const metadata = parquetMetadata(file);
  for (const element of metadata.schema) {
    if (element.name === column) {
      delete element.converted_type;
      delete element.logical_type;
    }
  }
  let values: unknown[] = [];
  await parquetRead({
    file,
    metadata,
    columns: [column],
    onComplete: (rows) => {
      values = (rows as unknown[][]).map((row) => row[0]);
    },
  });
  return values.map((value) => {
    if (value === null) return null;
    if (typeof value === 'number' || typeof value === 'bigint') return BigInt(value);
    const raw = value as Uint8Array;
    let unscaled = 0n;
    for (const byte of raw) unscaled = (unscaled << 8n) | BigInt(byte);
    return BigInt.asIntN(raw.length * 8, unscaled);
  });
}
