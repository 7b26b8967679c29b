export { pagerdutyService } from './service.js';
export { describePagerdutyDestination, pagerdutyTargetOf } from './pagerduty.target.js';
