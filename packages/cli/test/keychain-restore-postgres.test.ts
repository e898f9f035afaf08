import { keychainScenario } from './keychain-scenario.js';

keychainScenario('postgres');
