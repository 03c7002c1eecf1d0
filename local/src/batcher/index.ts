export * from './failed-batches.js';
export * from './local-handler.js';
export * from './replay.js';
export * from './runner.js';
export * from './settings.js';
