export * from './connection.js';
export * from './errors.js';
export * from './kafkajs.js';
export * from './ports.js';
