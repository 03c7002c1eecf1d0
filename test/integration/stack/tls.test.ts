import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUp, localPlane, SampleScenario } from '../control-plane/harness.js';
import { endpoints, tlsKafka } from '../helpers.js';

/** A client of the TLS listener (127.0.0.1:9094, MSK's TLS port) that trusts only the given CAs. */
function tlsClient(ssl: boolean | { ca: string[] }): Kafka {
  return new Kafka({
    clientId: 'apphub-tls-test',
    brokers: [...endpoints.tlsBrokers],
    ssl,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 3_000,
  });
}

describe('Kafka over TLS, as on MSK', () => {
  const plane = localPlane();
  const scenario = new SampleScenario(71);

  afterAll(() => cleanUp(plane, scenario.jobName));

  it('serves clients that trust the local CA and refuses one without it, and plaintext on its port', async () => {
    const trusted = tlsKafka.admin();
    await trusted.connect();
    try {
      expect((await trusted.describeCluster()).brokers).toHaveLength(1);
    } finally {
      await trusted.disconnect();
    }

    // The system trust store only: the broker's certificate does not chain to a CA it knows.
    const withoutCa = tlsClient(true).admin();
    await expect(withoutCa.connect()).rejects.toThrow(/certificate/i);
    // A plaintext client on the TLS port gets no Kafka protocol answer.
    const plaintext = tlsClient(false).admin();
    await expect(plaintext.connect()).rejects.toThrow();
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
