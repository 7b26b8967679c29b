import { runService } from '@nm/service-kit';
import { telegramService } from './service.js';

runService(telegramService);
