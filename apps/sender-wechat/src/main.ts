import { runService } from '@nm/service-kit';
import { wechatService } from './service.js';

runService(wechatService);
