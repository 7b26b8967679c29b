import { runService } from '@nm/service-kit';
import { slackService } from './service.js';

runService(slackService);
