export * from './load.js';
export * from './schema.js';
export { parseDuration } from './duration.js';
