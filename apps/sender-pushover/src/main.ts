import { runService } from '@nm/service-kit';
import { pushoverService } from './service.js';

runService(pushoverService);
