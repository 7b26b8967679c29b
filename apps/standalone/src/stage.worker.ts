/** A worker thread of the single process: the stages `startStandalone` placed on it. */
import { serveWorker } from '@nm/service-kit';
import { startStages } from './standalone.js';

serveWorker((data) => startStages((data as { stages: string[] }).stages));
