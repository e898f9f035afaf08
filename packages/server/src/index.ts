export { startServer, type RunningServer } from './server.js';
export { DEFAULTS, type ServerOptions, type RateLimits, type RateLimitRule } from './config.js';
export { SERVER_VERSION } from './version.js';
