export { slackService } from './service.js';
export { describeSlackDestination, slackTargetOf } from './slack.target.js';
