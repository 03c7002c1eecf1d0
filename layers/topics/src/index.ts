export * from './apply.js';
export * from './custom-resource.js';
export * from './errors.js';
export * from './plan.js';
export * from './spec.js';
