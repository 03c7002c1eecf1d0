/**
 * What the project asks of a Kafka client, independent of the client library: topic administration
 * for the topic manager, producing and reading records for the tools and the smoke test, and a
 * consumer group with manual commits for the local event-source runner. `platformatic.ts` is the one
 * implementation; another client replaces that file, not its callers.
 */

/** A topic as the cluster reports it. */
export interface ObservedTopic {
  readonly name: string;
  readonly partitions: number;
  /** The topic's own settings (Kafka's DYNAMIC_TOPIC_CONFIG entries), not the broker defaults it inherits. */
  readonly config: Readonly<Record<string, string>>;
}

/** The cluster as far as topic management needs it. */
export interface ObservedCluster {
  /** Brokers the cluster's metadata lists. */
  readonly brokers: number;
  /** Those of the asked-for topics that exist; a missing one is simply absent. */
  readonly topics: readonly ObservedTopic[];
}

/** A topic to create, with everything it is created with. */
export interface NewTopic {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
}

/** Topic administration: observe, create, grow, configure. There is deliberately no delete. */
export interface TopicAdmin {
  observe(names: readonly string[]): Promise<ObservedCluster>;
  /** Creates the topics and returns once every partition has a leader that answers. */
  createTopics(topics: readonly NewTopic[]): Promise<void>;
  /** Raises the topic's partition count to `total`. */
  addPartitions(name: string, total: number): Promise<void>;
  /** Replaces the topic's own settings with `config` (Kafka's AlterConfigs is not incremental). */
  setTopicConfig(name: string, config: Readonly<Record<string, string>>): Promise<void>;
}

/** A record to produce (text as UTF-8, null for a tombstone); without `partition` the client's partitioner places it by key. */
export interface OutgoingRecord {
  readonly key: string | Buffer;
  readonly value: string | Buffer | null;
  readonly partition?: number;
}

/** A record read from a topic, key and value as UTF-8 text (null for none). */
export interface IncomingRecord {
  readonly partition: number;
  readonly offset: string;
  /** Epoch milliseconds, as text. */
  readonly timestamp: string;
  readonly key: string | null;
  readonly value: string | null;
}

/** A record as a consumer group receives it: the bytes as they are in Kafka. */
export interface ReceivedRecord {
  readonly offset: string;
  /** Epoch milliseconds, as text. */
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly { readonly name: string; readonly value: Buffer }[];
}

/** Consecutive records of one partition, handed to a group consumer's handler. */
export interface RecordBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ReceivedRecord[];
  /**
   * Commits the group's offset past the batch's last record; resolves once Kafka accepted it. It
   * rejects when the partition was reassigned meanwhile: its new owner reads the batch again.
   */
  commit(): Promise<void>;
}

/** How a consumer group reads its topics. */
export interface GroupConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /**
   * Where a group with no committed offset on a topic starts: its earliest records, or its end. The
   * end is committed for the group before it joins, so a restart resumes there, not at a later end;
   * a partition added to the topic afterwards is read from its earliest record.
   */
  readonly fromBeginning: boolean;
  /** Most records per batch. */
  readonly maxBatchRecords: number;
  /** How long a batch waits to fill up to maxBatchRecords after its first record arrived (0: no wait). */
  readonly batchWindowMs: number;
  /** Partitions whose handlers run at the same time (each partition's batches run one at a time, in order). */
  readonly concurrentPartitions: number;
  /** Called when a handler, a commit or the consumer failed; the group then resumes from its committed offsets. */
  readonly onError?: (error: unknown) => void;
}

/** A running group consumer. */
export interface GroupConsumer {
  /** Waits for the batches in flight, then leaves the group; nothing is committed that the handlers did not commit. */
  stop(): Promise<void>;
}

/** Producing and reading records. */
export interface TopicRecords {
  /** The next offset of every partition of `topic` (its end), by partition. */
  endOffsets(topic: string): Promise<ReadonlyMap<number, string>>;
  /** The offset of the earliest record still kept in every partition of `topic`, by partition. */
  earliestOffsets(topic: string): Promise<ReadonlyMap<number, string>>;
  /** The offsets consumer group `groupId` committed on `topic`, by partition (a partition without one is absent). */
  committedOffsets(groupId: string, topic: string): Promise<ReadonlyMap<number, string>>;
  /** Produces the records, acknowledged by all in-sync replicas, in order per partition. */
  produce(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  /**
   * Reads `topic` from the offsets in `from` (without committing anything) and hands each record to
   * `onRecord` until it returns true or `until` (epoch ms) passes. Returns whether it returned true.
   */
  readUntil(
    topic: string,
    from: ReadonlyMap<number, string>,
    onRecord: (record: IncomingRecord) => boolean,
    until: number,
  ): Promise<boolean>;
  /**
   * Follows `topic` from its earliest records in the background with a throwaway group that commits
   * nothing, handing each record to `onRecord`, until the returned function is called.
   */
  follow(topic: string, onRecord: (record: IncomingRecord) => void): Promise<() => Promise<void>>;
  /**
   * Joins consumer group `options.groupId` and hands `onBatch` batches of one partition at a time,
   * in offset order per partition; only `batch.commit()` moves the group's offsets. A handler that
   * throws (or a rebalance) makes the group read again from its committed offsets.
   */
  consumeGroup(
    options: GroupConsumerOptions,
    onBatch: (batch: RecordBatch) => Promise<void>,
  ): Promise<GroupConsumer>;
}

/** One connected client: both roles, and one call that closes every connection it opened. */
export interface KafkaClient extends TopicAdmin, TopicRecords {
  /** How many members consumer group `groupId` has now (0 for a group that is empty or unknown). */
  groupMembers(groupId: string): Promise<number>;
  close(): Promise<void>;
}
