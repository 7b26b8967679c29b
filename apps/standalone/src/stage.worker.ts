/** A worker thread of the single process: the stages `startStandalone` placed on it. */
import { serveWorker } from '@nm/service-kit';
import { startStages } from './standalone.js';

serveWorker((data) => {
  const { stages, intake } = data as { stages: string[]; intake?: SharedArrayBuffer };
  return startStages(stages, process.env, intake);
});
