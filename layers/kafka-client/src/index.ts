export {
  type KafkaConnection,
  type KafkaCredentials,
  type KafkaEnvironment,
  kafkaConnectionOf,
  parseKafkaEnvironment,
  readKafkaCredentials,
} from './connection.js';
export { KafkaClientError, KafkaCredentialsInvalidError, KafkaRequestFailedError } from './errors.js';
export { connectKafka, openKafka, platformaticSecurity, topicNotReady } from './platformatic.js';
export type {
  GroupConsumer,
  GroupConsumerOptions,
  IncomingRecord,
  KafkaClient,
  NewTopic,
  ObservedCluster,
  ObservedTopic,
  OutgoingRecord,
  ReceivedRecord,
  RecordBatch,
  TopicAdmin,
  TopicRecords,
} from './ports.js';
