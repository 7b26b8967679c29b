export { startSlackSender } from './service.js';
export type { SlackServiceOptions } from './service.js';
export { describeSlackDestination, slackTargetOf } from './slack.target.js';
