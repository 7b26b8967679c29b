export * from './job.fixtures.js';
