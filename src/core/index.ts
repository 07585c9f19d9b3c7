export * from './errors.js';
export * from './events.js';
export * from './pipeline.js';
export * from './session.js';
export * from './verdict.js';
