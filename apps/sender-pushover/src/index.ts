export { pushoverService } from './service.js';
export { describePushoverDestination, pushoverTargetOf } from './pushover.target.js';
