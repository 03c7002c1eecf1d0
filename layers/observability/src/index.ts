export * from './logger.js';
export * from './metrics.js';
export * from './middleware.js';
