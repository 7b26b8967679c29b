import { runService } from '@nm/service-kit';
import { eventExporterService } from './service.js';

runService(eventExporterService);
