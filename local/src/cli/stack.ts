import { type StackStatus, stackDown, stackStatus, stackUp } from '../stack/index.js';
import { parseFlags, runCli } from './run-cli.js';

const usage = 'usage: npm run local:up | npm run local:down [-- --purge] | npm run local:status [-- --json]';

function printTable(status: StackStatus): void {
  const rows = status.components.map((c) => [
    c.component,
    c.pid === null ? '-' : String(c.pid),
    c.port === 0 ? '-' : String(c.port),
    c.healthy ? 'healthy' : c.running ? 'UNHEALTHY' : c.state,
    c.detail,
  ]);
  const header = ['COMPONENT', 'PID', 'PORT', 'STATE', 'DETAIL'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  if (status.flink) {
    console.log(
      `\nFlink: ${status.flink.taskManagers} TaskManagers registered, ${status.flink.slotsAvailable}/${status.flink.slotsTotal} slots free, ${status.flink.runningJobs} jobs running`,
    );
  }
  if (!status.supervised) console.log('\nsupervisord is not running: start the stack with npm run local:up');
  console.log(
    `Stack ${status.healthy ? 'healthy' : 'NOT healthy'}; processes supervised by supervisord; logs in ${status.components[0]?.log.replace(/\/[^/]+$/, '/')}`,
  );
}

runCli(async () => {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'up') {
    parseFlags(rest, {});
    const status = await stackUp();
    printTable(status);
    return status.healthy ? 0 : 1;
  }
  if (command === 'down') {
    const { flags } = parseFlags(rest, { purge: 'boolean' });
    await stackDown({ purge: flags.purge === true });
    return 0;
  }
  if (command === 'status') {
    const { flags } = parseFlags(rest, { json: 'boolean' });
    const status = await stackStatus();
    if (flags.json) console.log(JSON.stringify(status, null, 2));
    else printTable(status);
    return status.healthy ? 0 : 1;
  }
  throw new Error(usage);
});
