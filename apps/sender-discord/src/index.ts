export { discordService } from './service.js';
export { describeDiscordDestination, discordTargetOf } from './discord.target.js';
