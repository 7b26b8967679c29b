export { teamsService } from './service.js';
export { describeTeamsDestination, teamsTargetOf } from './teams.target.js';
