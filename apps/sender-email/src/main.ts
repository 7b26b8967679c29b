import { runService } from '@nm/service-kit';
import { emailService } from './service.js';

runService(emailService);
