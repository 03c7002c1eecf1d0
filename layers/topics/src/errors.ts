import { AppHubError } from '@apphub/platform';

/** The spec asks for fewer partitions than a topic has; nothing was changed. The message is the one line to show. */
export class TopicPartitionDecreaseError extends AppHubError {}

/** The topics did not reach their spec within the time allowed after the changes were made. */
export class TopicsNotConvergedError extends AppHubError {}

/** A CloudFormation custom-resource request the topic manager cannot read. */
export class TopicRequestInvalidError extends AppHubError {}

/** The topic manager did not finish within the time it has before its request must be answered. */
export class TopicRequestTimedOutError extends AppHubError {}
