import { runService } from '@nm/service-kit';
import { smsService } from './service.js';

runService(smsService);
