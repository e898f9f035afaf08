import { foldersScenario } from './folders-scenario.js';

foldersScenario('postgres');
