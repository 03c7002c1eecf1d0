import { connectKafka, type KafkaClient } from '@apphub/kafka-client';
import type { KafkaSecurity } from '@apphub/platform';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUp, localPlane, SampleScenario } from '../control-plane/harness.js';
import { endpoints, tlsKafka } from '../helpers.js';

/** Connects to the TLS listener (127.0.0.1:9094, MSK's TLS port) with `security`. */
function connectTls(security: KafkaSecurity): Promise<KafkaClient> {
  return connectKafka({ clientId: 'apphub-tls-test', brokers: endpoints.tlsBrokers, security });
}

describe('Kafka over TLS, as on MSK', () => {
  const plane = localPlane();
  const scenario = new SampleScenario(71);

  afterAll(() => cleanUp(plane, scenario.jobName));

  it('serves clients that trust the local CA and refuses one without it, and plaintext on its port', async () => {
    expect((await tlsKafka.observe([])).brokers).toBe(1);

    // The system trust store only: the broker's certificate does not chain to a CA it knows.
    await expect(connectTls({ protocol: 'SSL' })).rejects.toThrow(/certificate/i);
    // A plaintext client on the TLS port gets no Kafka protocol answer.
    await expect(connectTls({ protocol: 'PLAINTEXT' })).rejects.toThrow();
  });

  it('runs the sample job over the TLS listener with the security settings the MSK mode renders', async () => {
    await scenario.createTopics();
    await scenario.produce(scenario.phaseA);
    await scenario.submit(plane);

    const record = await plane.jobs.get(scenario.jobName);
    const tables = record!.sql.split(/CREATE TEMPORARY TABLE /).slice(1);
    expect(tables).toHaveLength(3);
    for (const table of tables) {
      expect(table).toContain(`'properties.bootstrap.servers' = '${endpoints.tlsBrokers.join(',')}'`);
      expect(table).toContain("'properties.security.protocol' = 'SSL'");
      expect(table).toContain("'properties.ssl.truststore.type' = 'PEM'");
    }
    // Reading the input and writing the aggregates both went through that listener.
    await scenario.waitForWindows(scenario.closedByPhaseA());
  });
});
