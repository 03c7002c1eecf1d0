import { AppHubError } from '@apphub/platform';

/** Base error of the topic manager. */
export class TopicsError extends AppHubError {}

/** The spec asks for fewer partitions than a topic has; nothing was changed. The message is the one line to show. */
export class TopicPartitionDecreaseError extends TopicsError {}

/** The topics did not reach their spec within the time allowed after the changes were made. */
export class TopicsNotConvergedError extends TopicsError {}

/** A CloudFormation custom-resource request the topic manager cannot read. */
export class TopicRequestInvalidError extends TopicsError {}

/** The topic manager did not finish within the time it has before its request must be answered. */
export class TopicRequestTimedOutError extends TopicsError {}
