import { createServer } from 'node:net';

/** A loopback port nothing listens on: bound once by this process, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The APPHUB_* endpoint variables with every component of the local stack (Kafka's two listeners,
 * Flink REST, the SQL Gateway, MinIO, moto) on a closed port: the stack as a new user finds it
 * before `npm run local:up`, without touching a stack that runs.
 */
export async function stackDownEnvironment(): Promise<Record<string, string>> {
  const [kafka, kafkaTls, flink, gateway, minio, moto] = await Promise.all(
    Array.from({ length: 6 }, () => closedPort()),
  );
  return {
    APPHUB_STREAM_BROKER_URL: `127.0.0.1:${kafka}`,
    APPHUB_STREAM_TLS_BROKER_URL: `127.0.0.1:${kafkaTls}`,
    APPHUB_FLINK_REST_URL: `http://127.0.0.1:${flink}`,
    APPHUB_SQL_GATEWAY_URL: `http://127.0.0.1:${gateway}`,
    APPHUB_S3_ENDPOINT_URL: `http://127.0.0.1:${minio}`,
    APPHUB_AWS_ENDPOINT_URL: `http://127.0.0.1:${moto}`,
  };
}
