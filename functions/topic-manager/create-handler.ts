import { connectKafka, type KafkaEnvironment, kafkaConnectionOf } from '@apphub/kafka-client';
import { createLogger, createMetrics, FunctionFolder, observability } from '@apphub/observability';
import { handleTopicsRequest } from '@apphub/topics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/** Time kept back from the function's timeout to answer CloudFormation whatever happened. */
const ANSWER_MARGIN_MS = 15_000;

/**
 * The topic manager's handler: CloudFormation custom-resource requests of the topic set, applied to
 * the Kafka cluster `kafka` describes (TLS, and SCRAM credentials read from their secret when needed).
 */
export function createHandler(kafka: KafkaEnvironment) {
  const logger = createLogger(FunctionFolder.topicManager);
  const metrics = createMetrics(FunctionFolder.topicManager, logger);
  return middy()
    .use(observability({ logger, metrics }))
    .handler((event: unknown, context: Context) =>
      handleTopicsRequest(
        {
          connect: async () => connectKafka(await kafkaConnectionOf(kafka, FunctionFolder.topicManager)),
          budgetMs: Math.max(1_000, context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS),
          log: (message, fields) => logger.info(message, fields ?? {}),
        },
        event,
      ),
    );
}
