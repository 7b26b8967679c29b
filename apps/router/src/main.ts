import { runService } from '@nm/service-kit';
import { routerService } from './service.js';

runService(routerService);
