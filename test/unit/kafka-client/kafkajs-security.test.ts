import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { kafkajsSecurity } from '@apphub/kafka-client';
import { describe, expect, it } from 'vitest';

describe('kafkajs settings of a security description', () => {
  it("trusts MSK's brokers with Node's own trust store, which holds Amazon's root CAs", () => {
    // MSK's TLS listener presents public ACM certificates, which chain to Amazon Trust Services' roots:
    // https://docs.aws.amazon.com/msk/latest/developerguide/msk-encryption.html. With `ssl: true`
    // kafkajs verifies against Node's bundled roots (tls.rootCertificates), so no CA file ships.
    const roots = rootCertificates.map((pem) => new X509Certificate(pem).subject);

    expect(kafkajsSecurity({ protocol: 'SSL' })).toEqual({ ssl: true });
    expect(roots.some((subject) => subject.includes('CN=Amazon Root CA 1'))).toBe(true);
  });

  it('sends SCRAM-SHA-512 credentials over TLS with SASL_SSL, and nothing with PLAINTEXT', () => {
    const sasl = kafkajsSecurity(
      {
        protocol: 'SASL_SSL',
        mechanism: 'SCRAM-SHA-512',
        usernameVariable: 'KAFKA_SASL_USERNAME',
        passwordVariable: 'KAFKA_SASL_PASSWORD',
      },
      { username: 'apphub', password: 'secret' },
    );

    expect(sasl).toEqual({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'apphub', password: 'secret' },
    });
    expect(kafkajsSecurity({ protocol: 'PLAINTEXT' })).toEqual({});
  });
});
