export * from './compute.js';
export * from './dataset-watermarks.js';
export * from './errors.js';
export * from './store.js';
