/** This server's version (reported by /v1/meta); kept equal to packages/server/package.json. */
export const SERVER_VERSION = '0.2.0';
