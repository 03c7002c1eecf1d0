import { parseLocalEndpoints } from '@apphub/platform';
import { localKafka } from './local/src/stack/index.js';
import { reportSampleJob } from './bench/sample-job.js';
const endpoints = parseLocalEndpoints();
await reportSampleJob(localKafka(endpoints, 'bench'), endpoints, Number(process.argv[2] ?? 200000), Number(process.argv[3] ?? 1));
