export * from './compute.js';
export * from './errors.js';
export * from './store.js';
