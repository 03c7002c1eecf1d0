export * from './errors.js';
export { type FlinkHttpOptions, sleep } from './http.js';
export * from './job-metrics.js';
export * from './rest-client.js';
export * from './root-cause.js';
export * from './sql-gateway-client.js';
export * from './sql-template.js';
