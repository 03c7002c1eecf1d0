export * from './clients.js';
export * from './components.js';
export * from './config-files.js';
export * from './errors.js';
export * from './paths.js';
export * from './processes.js';
export * from './progress.js';
export * from './stack.js';
