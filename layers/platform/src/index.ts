export * from './aws-clients.js';
export * from './settings.js';
