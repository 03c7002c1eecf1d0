import {
  KafkaCredentialsInvalidError,
  kafkaConnectionOf,
  parseKafkaEnvironment,
  readKafkaCredentials,
} from '@apphub/kafka-client';
import { awsClientSettings } from '@apphub/platform';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { endpoints, uniqueName } from '../helpers.js';

/** Secrets Manager on the project's moto, which serves it beside DynamoDB. */
const secrets = new SecretsManagerClient(awsClientSettings(endpoints.awsEndpointUrl, 'dynamodb'));

async function secret(value: string): Promise<string> {
  const created = await secrets.send(
    new CreateSecretCommand({ Name: uniqueName('it-kafka'), SecretString: value }),
  );
  return created.ARN!;
}

const sasl = JSON.stringify({
  protocol: 'SASL_SSL',
  mechanism: 'SCRAM-SHA-512',
  usernameVariable: 'KAFKA_SASL_USERNAME',
  passwordVariable: 'KAFKA_SASL_PASSWORD',
});

describe('SCRAM credentials of existing brokers', () => {
  it('are read from the secret the event source reads, {"username", "password"}', async () => {
    const arn = await secret(JSON.stringify({ username: 'apphub', password: 'p4ss' }));
    const environment = parseKafkaEnvironment({
      APPHUB_KAFKA_BOOTSTRAP_SERVERS: 'b-1.kafka.internal:9096,b-2.kafka.internal:9096',
      APPHUB_KAFKA_SECURITY: sasl,
      APPHUB_KAFKA_SECRET_ARN: arn,
    });

    const connection = await kafkaConnectionOf(environment, 'topic-manager', (secretArn) =>
      readKafkaCredentials(secretArn, secrets),
    );

    expect(connection).toEqual({
      clientId: 'topic-manager',
      brokers: ['b-1.kafka.internal:9096', 'b-2.kafka.internal:9096'],
      security: JSON.parse(sasl),
      credentials: { username: 'apphub', password: 'p4ss' },
    });
  });

  it('fail in one line naming the secret, never showing its content', async () => {
    const arn = await secret('user=apphub;password=p4ss');

    const attempt = readKafkaCredentials(arn, secrets);

    await expect(attempt).rejects.toBeInstanceOf(KafkaCredentialsInvalidError);
    await expect(attempt).rejects.toThrow(
      `the Kafka secret ${arn} is not JSON of the form {"username": "...", "password": "..."}`,
    );
    await expect(attempt).rejects.not.toThrow(/p4ss/);
  });

  it('are required with SASL_SSL: a missing secret variable is one line', () => {
    expect(() =>
      parseKafkaEnvironment({ APPHUB_KAFKA_BOOTSTRAP_SERVERS: 'b-1:9096', APPHUB_KAFKA_SECURITY: sasl }),
    ).toThrow(/^environment is invalid: APPHUB_KAFKA_SECRET_ARN is required with SASL_SSL/);
    expect(() =>
      parseKafkaEnvironment({ APPHUB_KAFKA_BOOTSTRAP_SERVERS: 'b-1:9096', APPHUB_KAFKA_SECURITY: 'SSL' }),
    ).toThrow(/^environment is invalid: APPHUB_KAFKA_SECURITY: expected JSON/);
  });
});
