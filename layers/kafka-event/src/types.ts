/** Event sources whose Lambda Kafka events share one shape. */
export type KafkaEventSource = 'aws:kafka' | 'SelfManagedKafka';

/** One record as Lambda delivers it: key and value base64, headers as arrays of bytes. */
export interface KafkaEventRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: string;
  readonly key?: string | null;
  /** Absent (or null) for a tombstone. */
  readonly value?: string | null;
  readonly headers: ReadonlyArray<Readonly<Record<string, readonly number[]>>>;
}

/** The Lambda event for an MSK or self-managed Kafka event source mapping. */
export interface KafkaEvent {
  readonly eventSource: KafkaEventSource;
  readonly eventSourceArn?: string;
  readonly bootstrapServers?: string;
  /** Records grouped by `"<topic>-<partition>"`. */
  readonly records: Readonly<Record<string, readonly KafkaEventRecord[]>>;
}

/** A header with its raw bytes. Kafka allows the same name more than once. */
export interface KafkaHeader {
  readonly name: string;
  readonly value: Buffer;
}

/** A record with its bytes decoded; `value === null` marks a tombstone (delete). */
export interface DecodedKafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly KafkaHeader[];
}
