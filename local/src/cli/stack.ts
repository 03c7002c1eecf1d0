import {
  type StackStatus,
  StackStreamingDisabledError,
  stackDown,
  stackStatus,
  stackUp,
} from '../stack/index.js';
import { type CommandGroup, defineCommand, runCli } from './run-cli.js';
import { table } from './table.js';

function printTable(status: StackStatus): void {
  const rows = status.components.map((c) => [
    c.component,
    c.pid === null ? '-' : String(c.pid),
    c.port === 0 ? '-' : String(c.port),
    c.healthy ? 'healthy' : c.running ? 'UNHEALTHY' : c.state,
    c.detail,
  ]);
  console.log(table(['COMPONENT', 'PID', 'PORT', 'STATE', 'DETAIL'], rows));
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

/** `npm run local:up | local:down | local:status`: the native stack under supervisord. */
export const cli: CommandGroup = {
  program: 'tsx local/src/cli/stack.ts',
  summary: 'Starts, stops and reports the native local stack (npm run local:up, local:down, local:status).',
  commands: {
    up: defineCommand({
      program: 'npm run local:up --',
      summary:
        'Starts every component of the native stack under supervisord and waits until it is healthy (nothing with APPHUB_STREAMING_ENABLED=0).',
      options: {},
      async run() {
        let status: StackStatus;
        try {
          status = await stackUp();
        } catch (error) {
          // The flag is a choice, not a failure: one line and exit 0, as compose and minikube do.
          if (!(error instanceof StackStreamingDisabledError)) throw error;
          console.log(error.message);
          return 0;
        }
        printTable(status);
        return status.healthy ? 0 : 1;
      },
    }),
    down: defineCommand({
      program: 'npm run local:down --',
      summary: 'Stops every component and supervisord.',
      options: {
        purge: { type: 'boolean', description: "also delete the stack's state and logs" },
      },
      async run({ values }) {
        await stackDown({ purge: values.purge === true });
        return 0;
      },
    }),
    status: defineCommand({
      program: 'npm run local:status --',
      summary: "Shows each component's process and health; exits 1 unless every one is healthy.",
      options: {
        json: { type: 'boolean', description: 'print the status as JSON' },
      },
      async run({ values }) {
        const status = await stackStatus();
        if (values.json) console.log(JSON.stringify(status, null, 2));
        else printTable(status);
        return status.healthy ? 0 : 1;
      },
    }),
  },
};

runCli(cli, import.meta.url);
