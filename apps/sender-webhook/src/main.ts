import { runService } from '@nm/service-kit';
import { webhookService } from './service.js';

runService(webhookService);
