/** The widest a cell is shown: Flink names a job submitted without pipeline.name after its whole SQL. */
export const MAX_CELL_WIDTH = 60;

/** A cell on one line (whitespace runs become one space), cut at {@link MAX_CELL_WIDTH} with an ellipsis. */
function oneLine(cell: string): string {
  const flat = cell.replace(/\s+/g, ' ').trim();
  return flat.length <= MAX_CELL_WIDTH ? flat : `${flat.slice(0, MAX_CELL_WIDTH - 1)}…`;
}

/**
 * Columns padded to their widest cell, two spaces apart; the last column is not padded. Every cell is
 * shown on one line and at most {@link MAX_CELL_WIDTH} characters wide.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = rows.map((row) => row.map(oneLine));
  const widths = header.map((title, index) =>
    Math.max(title.length, ...cells.map((row) => row[index]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, index) => (index === cells.length - 1 ? cell : cell.padEnd(widths[index]!))).join('  ');
  return [line(header), ...cells.map(line)].join('\n');
}

/** How long ago `epochMs` was, in seconds, minutes or hours; `-` when unknown. */
export function age(epochMs: number | undefined, now: number): string {
  if (!epochMs) return '-';
  const seconds = Math.max(0, Math.round((now - epochMs) / 1000));
  return seconds < 120
    ? `${seconds}s ago`
    : seconds < 7200
      ? `${Math.round(seconds / 60)}m ago`
      : `${Math.round(seconds / 3600)}h ago`;
}

/** An epoch-millisecond time as ISO-8601, `-` when unknown. */
export function isoTime(epochMs: number | undefined): string {
  return epochMs === undefined ? '-' : new Date(epochMs).toISOString();
}
