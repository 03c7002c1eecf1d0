import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { platformaticSecurity, topicNotReady } from '@apphub/kafka-client';
import { MultipleErrors, NetworkError, ProtocolError } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';

describe('the Kafka client settings of a security description', () => {
  it("trusts MSK's brokers with Node's own trust store, which holds Amazon's root CAs", () => {
    // MSK's TLS listener presents public ACM certificates, which chain to Amazon Trust Services' roots:
    // https://docs.aws.amazon.com/msk/latest/developerguide/msk-encryption.html. With `tls: {}` the
    // client verifies against Node's bundled roots (tls.rootCertificates), so no CA file ships.
    const roots = rootCertificates.map((pem) => new X509Certificate(pem).subject);

    expect(platformaticSecurity({ protocol: 'SSL' })).toEqual({ tls: {} });
    expect(roots.some((subject) => subject.includes('CN=Amazon Root CA 1'))).toBe(true);
  });

  it('sends SCRAM-SHA-512 credentials over TLS with SASL_SSL, and nothing with PLAINTEXT', () => {
    const sasl = platformaticSecurity(
      {
        protocol: 'SASL_SSL',
        mechanism: 'SCRAM-SHA-512',
        usernameVariable: 'KAFKA_SASL_USERNAME',
        passwordVariable: 'KAFKA_SASL_PASSWORD',
      },
      { username: 'apphub', password: 'secret' },
    );

    expect(sasl).toEqual({
      tls: {},
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'apphub', password: 'secret' },
    });
    expect(platformaticSecurity({ protocol: 'PLAINTEXT' })).toEqual({});
  });
});

describe('topicNotReady (what topic creation retries)', () => {
  // The client's own errors for Kafka's error codes, as its responses and retries wrap them.
  const answer = (code: number) => new ProtocolError(code);
  const afterRetries = (...errors: Error[]) => new MultipleErrors('Failed after 3 retries.', errors);

  it("retries Kafka's not-ready answers, alone, in a response or after the client's own retries", () => {
    // 3 UNKNOWN_TOPIC_OR_PARTITION, 5 LEADER_NOT_AVAILABLE, 6 NOT_LEADER_OR_FOLLOWER: answered while
    // a new topic's partitions get leaders.
    for (const code of [3, 5, 6]) expect(topicNotReady(answer(code))).toBe(true);
    expect(topicNotReady(afterRetries(answer(3), afterRetries(answer(5), answer(6))))).toBe(true);
  });

  it('fails on anything else', () => {
    // 29 TOPIC_AUTHORIZATION_FAILED, 37 INVALID_PARTITIONS, 36 TOPIC_ALREADY_EXISTS: retrying would not help.
    for (const code of [29, 36, 37]) expect(topicNotReady(answer(code))).toBe(false);
    expect(topicNotReady(afterRetries(answer(3), answer(37)))).toBe(false);
    expect(topicNotReady(new NetworkError('Connection refused'))).toBe(false);
    expect(topicNotReady(new Error('connection refused'))).toBe(false);
  });
});
