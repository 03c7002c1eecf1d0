/** The part of parquetjs-lite 0.8 (untyped) the benchmark uses. */
declare module 'parquetjs-lite' {
  class ParquetSchema {
    constructor(fields: Record<string, { type: string; optional?: boolean; compression?: string }>);
  }
  class ParquetWriter {
    static openStream(
      schema: ParquetSchema,
      stream: NodeJS.WritableStream,
      options?: { rowGroupSize?: number },
    ): Promise<ParquetWriter>;
    appendRow(row: Record<string, unknown>): Promise<void>;
    close(): Promise<void>;
  }
  const parquetjsLite: { ParquetSchema: typeof ParquetSchema; ParquetWriter: typeof ParquetWriter };
  export default parquetjsLite;
}
