import { runService } from '@nm/service-kit';
import { dingtalkService } from './service.js';

runService(dingtalkService);
