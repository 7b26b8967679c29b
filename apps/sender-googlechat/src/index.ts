export { googlechatService } from './service.js';
export { describeGooglechatDestination, googlechatTargetOf } from './googlechat.target.js';
