export * from './logger.js';
export * from './metric-names.js';
export * from './metrics.js';
export * from './middleware.js';
