export { applyTopics, type TopicsApplied } from './apply.js';
export {
  handleTopicsRequest,
  putResponse,
  TOPICS_PHYSICAL_ID,
  type TopicsRequest,
  type TopicsRequestDependencies,
  type TopicsResponse,
} from './custom-resource.js';
export {
  TopicPartitionDecreaseError,
  TopicRequestInvalidError,
  TopicRequestTimedOutError,
  TopicsError,
  TopicsNotConvergedError,
} from './errors.js';
export {
  type ConfigChange,
  describeAction,
  type PartitionDecrease,
  partitionDecreaseMessage,
  planTopics,
  replicationFactorFor,
  type TopicAction,
  type TopicPlan,
} from './plan.js';
export {
  parseTopicSpecs,
  platformTopicSpecs,
  type TopicSpec,
  topicSpecHash,
  topicSpecSchema,
} from './spec.js';
