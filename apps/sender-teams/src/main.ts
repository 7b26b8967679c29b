import { runService } from '@nm/service-kit';
import { teamsService } from './service.js';

runService(teamsService);
