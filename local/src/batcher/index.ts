export * from './local-handler.js';
export * from './runner.js';
export * from './settings.js';
