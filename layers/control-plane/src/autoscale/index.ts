export * from './alignment.js';
export * from './decide.js';
export * from './evaluate.js';
export * from './observation.js';
export * from './records.js';
export * from './settings.js';
export * from './store.js';
