import { foldersMoreScenario } from './folders-more-scenario.js';

foldersMoreScenario('postgres');
