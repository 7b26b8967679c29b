import { runService } from '@nm/service-kit';
import { silencerService } from './service.js';

runService(silencerService);
