/**
 * What the project asks of a Kafka client, independent of the client library: topic administration
 * for the topic manager, producing and reading records for the smoke test. `kafkajs.ts` is the one
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

/** A record to produce; without `partition` the client's partitioner places it by key. */
export interface OutgoingRecord {
  readonly key: string;
  readonly value: string;
  readonly partition?: number;
}

/** A record read from a topic, key and value as UTF-8 text (null for none). */
export interface IncomingRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
}

/** Producing and reading records. */
export interface TopicRecords {
  /** The next offset of every partition of `topic` (its end), by partition. */
  endOffsets(topic: string): Promise<ReadonlyMap<number, string>>;
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
}

/** One connected client: both roles, and one call that closes every connection it opened. */
export interface KafkaClient extends TopicAdmin, TopicRecords {
  /** How many members consumer group `groupId` has now (0 for a group that is empty or unknown). */
  groupMembers(groupId: string): Promise<number>;
  close(): Promise<void>;
}
