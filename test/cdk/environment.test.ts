import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAppConfig } from '../../cdk/lib/config.js';
import { PROJECT_ROOT } from '../../cdk/lib/streaming-app.js';
import { cdkJsonContext } from './support/synthesize.js';

const enabled = { APPHUB_STREAMING_ENABLED: '1' };

/** An AWS Region name (us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ...). */
const REGION_NAME =
  /\b(us|eu|ap|sa|ca|me|af|il|mx|cn)(-gov|-iso[a-z]?)?-(north|south|east|west|central)(east|west)?-\d\b/;

describe('the deployment environment', () => {
  // The CDK CLI sets CDK_DEFAULT_ACCOUNT/REGION from the profile, and CDK_DEFAULT_REGION to
  // us-east-1 when no profile has one. A stack bound to them writes that region into its template
  // (asset repository, awslogs-region) and, with an account, looks up availability zones at synth:
  // https://docs.aws.amazon.com/cdk/v2/guide/configure-env.html
  it('is agnostic unless account and region are configured, whatever the CLI profile says', () => {
    const fromProfile = { ...enabled, CDK_DEFAULT_ACCOUNT: '111122223333', CDK_DEFAULT_REGION: 'eu-west-1' };

    expect(parseAppConfig({}, fromProfile).environment).toEqual({});
    expect(
      parseAppConfig({ 'apphub:account': '111122223333', 'apphub:region': 'eu-central-1' }, fromProfile)
        .environment,
    ).toEqual({ account: '111122223333', region: 'eu-central-1' });
  });

  it('synthesizes templates without a region name even when the CLI passes one', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'apphub-cdk-env-'));
    try {
      const run = spawnSync('npx', ['tsx', 'cdk/bin/app.ts'], {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        env: {
          ...process.env,
          CDK_OUTDIR: outdir,
          CDK_CONTEXT_JSON: JSON.stringify(cdkJsonContext()),
          CDK_DEFAULT_ACCOUNT: '111122223333',
          CDK_DEFAULT_REGION: 'eu-west-1',
        },
      });
      expect(run.status, run.stderr).toBe(0);
      const templates = readdirSync(outdir).filter((file) => file.endsWith('.template.json'));

      expect(templates.length).toBeGreaterThan(0);
      for (const file of templates) {
        expect(readFileSync(path.join(outdir, file), 'utf8').match(REGION_NAME)?.[0], file).toBeUndefined();
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 180_000);

  it('needs both account and region, and a known region for more than two zones of a created VPC', () => {
    expect(() => parseAppConfig({ 'apphub:region': 'eu-west-1' }, enabled)).toThrow(
      /account: set account and region together/,
    );
    // An environment-agnostic stack spreads a VPC over two zones (Fn::GetAZs); more need the region:
    // https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.Stack.html#availabilityzones
    expect(() => parseAppConfig({ 'apphub:vpcMaxAzs': 3 }, enabled)).toThrow(
      /vpcMaxAzs: an environment-agnostic deployment has 2 availability zones/,
    );
    expect(
      parseAppConfig(
        {
          'apphub:vpcMaxAzs': 3,
          'apphub:mskBrokerNodes': 3,
          'apphub:account': '111122223333',
          'apphub:region': 'eu-west-1',
        },
        enabled,
      ).options.vpc,
    ).toMatchObject({ kind: 'created', maxAzs: 3 });
  });

  it('asks for MSK brokers in equal numbers per zone of a created VPC', () => {
    // https://docs.aws.amazon.com/msk/latest/developerguide/create-cluster.html (brokers are
    // spread evenly over the client subnets' zones)
    expect(() => parseAppConfig({ 'apphub:mskBrokerNodes': 3 }, enabled)).toThrow(
      /mskBrokerNodes: MSK needs the same number of brokers in each of the 2 availability zones/,
    );
  });
});
