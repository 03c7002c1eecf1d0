import { parseWith, z } from '@apphub/platform';
import type { SmokeReport } from './run.js';

const smokeReportSchema = z.strictObject({
  runId: z.string(),
  target: z.string(),
  passed: z.boolean(),
  steps: z.array(
    z.strictObject({
      name: z.string(),
      status: z.enum(['PASS', 'FAIL', 'SKIP']),
      seconds: z.number(),
      detail: z.string(),
    }),
  ),
});

/** Parses a report another process sent (the smoke function's answer); one line naming the bad field. */
export function parseSmokeReport(value: unknown, where: string): SmokeReport {
  return parseWith(smokeReportSchema, value, where);
}

/** The report as one table: each step's name, result, seconds and detail, then the verdict. */
export function formatSmokeReport(report: SmokeReport): string {
  const header = ['STEP', 'RESULT', 'SECONDS', 'DETAIL'];
  const rows = report.steps.map((step) => [step.name, step.status, step.seconds.toFixed(1), step.detail]);
  const widths = [0, 1, 2].map((column) =>
    Math.max(header[column]!.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === 2 ? cell.padStart(widths[2]!) : column < 3 ? cell.padEnd(widths[column]!) : cell,
      )
      .join('  ');
  const total = report.steps.reduce((sum, step) => sum + step.seconds, 0);
  return [
    line(header),
    ...rows.map(line),
    '',
    `smoke run ${report.runId} on ${report.target}: ${report.passed ? 'PASS' : 'FAIL'} in ${total.toFixed(0)} s`,
  ].join('\n');
}
