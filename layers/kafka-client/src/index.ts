export {
  type KafkaConnection,
  type KafkaCredentials,
  type KafkaEnvironment,
  kafkaConnectionOf,
  parseKafkaEnvironment,
  readKafkaCredentials,
} from './connection.js';
export { KafkaClientError, KafkaCredentialsInvalidError, KafkaRequestFailedError } from './errors.js';
export {
  connectKafka,
  createKafkajs,
  createTopicsWithLeaders,
  kafkajsSecurity,
  topicNotReady,
} from './kafkajs.js';
export type {
  IncomingRecord,
  KafkaClient,
  NewTopic,
  ObservedCluster,
  ObservedTopic,
  OutgoingRecord,
  TopicAdmin,
  TopicRecords,
} from './ports.js';
