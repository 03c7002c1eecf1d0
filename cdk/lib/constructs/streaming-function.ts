import path from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

/** The runtime of every function: the current Node.js LTS runtime Lambda offers. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;
/** parquet-wasm is WebAssembly and the rest is JavaScript, so Graviton runs the same bundle for less. */
export const FUNCTION_ARCHITECTURE = lambda.Architecture.ARM_64;

export interface StreamingFunctionProps {
  readonly projectRoot: string;
  /** Folder under functions/ holding handler.ts, e.g. micro-batcher. */
  readonly name: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly layer: lambda.ILayerVersion;
  /** Modules the layer provides; left out of the bundle. */
  readonly externalModules: readonly string[];
  readonly memoryMiB: number;
  readonly timeout: Duration;
  readonly logRetention: logs.RetentionDays;
  /** A fixed function name, for a function people invoke by name. Default: one CloudFormation generates. */
  readonly functionName?: string | undefined;
  /** Concurrent executions reserved (and allowed); 1 makes a function single-flight. Default: unreserved. */
  readonly reservedConcurrency?: number | undefined;
  /** VPC placement, for functions that call Flink. Default: outside any VPC. */
  readonly network?: {
    readonly vpc: ec2.IVpc;
    readonly subnets: ec2.SubnetSelection;
    readonly securityGroup: ec2.ISecurityGroup;
  };
}

/**
 * A handler from functions/<name>/handler.ts bundled by the local esbuild (no Docker), with the
 * shared layer, its own log group and an explicit runtime. The AWS SDK is bundled, not taken from
 * the runtime, so AWS runs the SDK version the tests ran.
 */
export class StreamingFunction extends Construct {
  readonly function: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: StreamingFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention });
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(props.projectRoot, 'functions', props.name, 'handler.ts'),
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: path.join(props.projectRoot, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      architecture: FUNCTION_ARCHITECTURE,
      memorySize: props.memoryMiB,
      timeout: props.timeout,
      layers: [props.layer],
      ...(props.functionName !== undefined && { functionName: props.functionName }),
      ...(props.reservedConcurrency !== undefined && {
        reservedConcurrentExecutions: props.reservedConcurrency,
      }),
      logGroup,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        forceDockerBundling: false,
        format: nodejs.OutputFormat.CJS,
        target: 'node24',
        minify: true,
        sourceMap: true,
        externalModules: [...props.externalModules],
        tsconfig: path.join(props.projectRoot, 'tsconfig.json'),
      },
      ...(props.network && {
        vpc: props.network.vpc,
        vpcSubnets: props.network.subnets,
        securityGroups: [props.network.securityGroup],
      }),
    });
    const managedPolicies = [
      'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      ...(props.network
        ? ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole']
        : []),
    ];
    NagSuppressions.addResourceSuppressions(
      this.function,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            "AWS's Lambda execution policies grant only log writing (and ENI management in a VPC), which every function needs.",
          appliesTo: managedPolicies,
        },
      ],
      true,
    );
  }
}
