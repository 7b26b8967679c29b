import { runService } from '@nm/service-kit';
import { opsgenieService } from './service.js';

runService(opsgenieService);
