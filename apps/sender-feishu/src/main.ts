import { runService } from '@nm/service-kit';
import { feishuService } from './service.js';

runService(feishuService);
