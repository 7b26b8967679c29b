export { telegramService } from './service.js';
export { describeTelegramDestination, telegramTargetOf } from './telegram.target.js';
