import { runService } from '@nm/service-kit';
import { discordService } from './service.js';

runService(discordService);
