import { runService } from '@nm/service-kit';
import { pagerdutyService } from './service.js';

runService(pagerdutyService);
