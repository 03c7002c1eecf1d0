export * from './aggregates.js';
export * from './errors.js';
export * from './events.js';
export * from './generator.js';
