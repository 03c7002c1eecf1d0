import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll } from 'vitest';
import { parseAppConfig } from '../../../cdk/lib/config.js';
import { addStreamingStacks, PROJECT_ROOT, type StreamingStacks } from '../../../cdk/lib/streaming-app.js';

/** One synthesized app, shared by every test of a file (synthesis bundles four functions and a layer). */
export interface Synthesized {
  readonly stacks: StreamingStacks;
  readonly assembly: CloudAssembly;
  readonly outdir: string;
  /** The synthesized template of `stack`, as written to the cloud assembly. */
  template(stack: Stack): Template;
  /** Deletes the cloud assembly directory (bundles, layer, image context). */
  remove(): void;
}

/** The context `npm run synth` uses: cdk.json's, so tests see the same feature flags and defaults. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/** Synthesizes the streaming app with cdk.json's context plus `overrides` into a fresh directory. */
export function synthesize(overrides: Record<string, unknown> = {}): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'apphub-cdk-'));
  const app = new App({ outdir, context: { ...cdkJsonContext(), ...overrides } });
  const config = parseAppConfig(app.node.getAllContext(), { APPHUB_STREAMING_ENABLED: '1' });
  const stacks = addStreamingStacks(app, config);
  if (stacks === undefined) throw new Error('the streaming stacks were not created');
  const assembly = app.synth();
  return {
    stacks,
    assembly,
    outdir,
    template: (stack) => Template.fromJSON(assembly.getStackArtifact(stack.artifactId).template),
    remove: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/**
 * Synthesizes the app once for the calling test file or describe block (`beforeAll`) and removes
 * the assembly after it; the returned function gives the result inside the tests.
 */
export function useSynthesized(overrides: Record<string, unknown> = {}): () => Synthesized {
  let synthesized: Synthesized | undefined;
  beforeAll(() => {
    synthesized = synthesize(overrides);
  }, 180_000);
  afterAll(() => synthesized?.remove());
  return () => {
    if (synthesized === undefined) throw new Error('the app is synthesized in beforeAll');
    return synthesized;
  };
}

/** A container definition of an ECS task definition, as far as the tests read it. */
export interface TaskContainer {
  readonly Name: string;
  readonly Image: unknown;
  readonly Essential?: boolean;
  readonly Command?: string[];
  readonly Environment?: Array<{ Name: string; Value: unknown }>;
}

/** The containers of each task definition of the Flink stack, one array per task definition. */
export function flinkTaskContainers(synthesized: Synthesized): TaskContainer[][] {
  const template = synthesized.template(synthesized.stacks.flink);
  return Object.values(template.findResources('AWS::ECS::TaskDefinition')).map(
    (task) =>
      (task as { Properties: { ContainerDefinitions: TaskContainer[] } }).Properties.ContainerDefinitions,
  );
}

/** cdk-nag findings (AwsSolutions) left unsuppressed, as "rule at path" lines. */
export function nagFindings(assembly: CloudAssembly): string[] {
  return assembly.stacks.flatMap((stack) =>
    stack.messages
      .filter((message) => message.level !== 'info' && /AwsSolutions-/.test(String(message.entry.data)))
      .map((message) => `${String(message.entry.data).split(':')[0]} at ${message.id}`),
  );
}

/** Result of cfn-lint on every template of an assembly. */
export interface CfnLintResult {
  readonly templates: readonly string[];
  readonly errors: readonly string[];
}

const CFN_LINT = path.join(PROJECT_ROOT, '.cache', 'venv', 'bin', 'cfn-lint');

/** Runs cfn-lint (PyPI, from the project venv) on every synthesized template and returns its errors. */
export function cfnLint(assembly: CloudAssembly): CfnLintResult {
  if (!existsSync(CFN_LINT))
    throw new Error(`cfn-lint is not installed at ${CFN_LINT}; create the venv first`);
  const templates = assembly.stacks.map((stack) => path.join(assembly.directory, stack.templateFile));
  const run = spawnSync(CFN_LINT, ['--format', 'json', '--', ...templates], { encoding: 'utf8' });
  if (run.error) throw run.error;
  const findings = JSON.parse(run.stdout || '[]') as Array<{
    Level: string;
    Rule: { Id: string };
    Message: string;
    Filename: string;
  }>;
  return {
    templates,
    errors: findings
      .filter((finding) => finding.Level === 'Error')
      .map((finding) => `${finding.Rule.Id} ${path.basename(finding.Filename)}: ${finding.Message}`),
  };
}

/**
 * The desired counts the custom resources of `template` set with ECS UpdateService once a service
 * exists, by the logical id of the service.
 */
export function countsSetAfterCreation(template: Template): Map<string, number> {
  const counts = new Map<string, number>();
  for (const resource of Object.values(template.findResources('Custom::AWS'))) {
    const call = JSON.stringify((resource as { Properties: { Update?: unknown } }).Properties.Update ?? '');
    if (!call.includes('updateService')) continue;
    const service = call.match(/"Fn::GetAtt":\["(\w+)","Name"\]/)?.[1];
    const count = call.match(/desiredCount\\":(\d+)/)?.[1];
    if (service !== undefined && count !== undefined) counts.set(service, Number(count));
  }
  return counts;
}
