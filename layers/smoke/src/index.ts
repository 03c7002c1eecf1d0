export * from './compare.js';
export * from './deployed.js';
export * from './errors.js';
export * from './marker.js';
export * from './report.js';
export * from './run.js';
export * from './sample.js';
