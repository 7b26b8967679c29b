export { opsgenieService } from './service.js';
export { describeOpsgenieDestination, opsgenieTargetOf } from './opsgenie.target.js';
