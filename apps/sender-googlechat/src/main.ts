import { runService } from '@nm/service-kit';
import { googlechatService } from './service.js';

runService(googlechatService);
