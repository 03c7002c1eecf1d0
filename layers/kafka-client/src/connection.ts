import {
  bootstrapServersSchema,
  type KafkaSecurity,
  kafkaSecurityJsonSchema,
  parseEnvironment,
  z,
} from '@apphub/platform';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { KafkaCredentialsInvalidError } from './errors.js';

/** SASL/SCRAM user name and password. */
export interface KafkaCredentials {
  readonly username: string;
  readonly password: string;
}

/** Where and how a client reaches Kafka. */
export interface KafkaConnection {
  /** Names the client in the brokers' logs and quotas. */
  readonly clientId: string;
  readonly brokers: readonly string[];
  readonly security: KafkaSecurity;
  /** Required with SASL_SSL. */
  readonly credentials?: KafkaCredentials | undefined;
}

const kafkaEnvironmentSchema = z.strictObject({
  APPHUB_KAFKA_BOOTSTRAP_SERVERS: bootstrapServersSchema.transform((servers) => servers.split(',')),
  APPHUB_KAFKA_SECURITY: kafkaSecurityJsonSchema,
  APPHUB_KAFKA_SECRET_ARN: z
    .string()
    .regex(/^arn:aws[\w-]*:secretsmanager:/, 'expected a Secrets Manager secret ARN')
    .optional(),
});

/**
 * How a deployed function reaches Kafka, from its environment: the brokers
 * (APPHUB_KAFKA_BOOTSTRAP_SERVERS), the security description (APPHUB_KAFKA_SECURITY, the one the
 * control plane renders into the jobs' tables) and, for SASL/SCRAM, the secret holding the
 * credentials (APPHUB_KAFKA_SECRET_ARN, the secret the event source reads too).
 */
export interface KafkaEnvironment {
  readonly brokers: readonly string[];
  readonly security: KafkaSecurity;
  readonly secretArn?: string | undefined;
}

/** Parses the Kafka variables of `env`; one line naming the bad variable. */
export function parseKafkaEnvironment(env: NodeJS.ProcessEnv = process.env): KafkaEnvironment {
  const parsed = parseEnvironment(kafkaEnvironmentSchema, env, 'environment');
  if (parsed.APPHUB_KAFKA_SECURITY.protocol === 'SASL_SSL' && parsed.APPHUB_KAFKA_SECRET_ARN === undefined) {
    throw new KafkaCredentialsInvalidError(
      'environment is invalid: APPHUB_KAFKA_SECRET_ARN is required with SASL_SSL (the secret with the SCRAM credentials)',
    );
  }
  return {
    brokers: parsed.APPHUB_KAFKA_BOOTSTRAP_SERVERS,
    security: parsed.APPHUB_KAFKA_SECURITY,
    secretArn: parsed.APPHUB_KAFKA_SECRET_ARN,
  };
}

const secretSchema = z.looseObject({ username: z.string().min(1), password: z.string().min(1) });

/**
 * The SCRAM credentials in a Secrets Manager secret of the form Lambda's Kafka event sources read,
 * `{"username": ..., "password": ...}`. An error names the secret, never its content.
 */
export async function readKafkaCredentials(
  secretArn: string,
  client: Pick<SecretsManagerClient, 'send'> = new SecretsManagerClient({}),
): Promise<KafkaCredentials> {
  let text: string | undefined;
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (error) {
    throw new KafkaCredentialsInvalidError(`cannot read the Kafka secret ${secretArn}: ${String(error)}`, {
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    value = undefined;
  }
  const parsed = secretSchema.safeParse(value);
  if (!parsed.success) {
    throw new KafkaCredentialsInvalidError(
      `the Kafka secret ${secretArn} is not JSON of the form {"username": "...", "password": "..."}`,
    );
  }
  return { username: parsed.data.username, password: parsed.data.password };
}

/** The connection a deployed function opens: the parsed environment, with the secret read when SASL needs it. */
export async function kafkaConnectionOf(
  environment: KafkaEnvironment,
  clientId: string,
  read: (secretArn: string) => Promise<KafkaCredentials> = readKafkaCredentials,
): Promise<KafkaConnection> {
  const credentials =
    environment.security.protocol === 'SASL_SSL' && environment.secretArn !== undefined
      ? await read(environment.secretArn)
      : undefined;
  return { clientId, brokers: environment.brokers, security: environment.security, credentials };
}
