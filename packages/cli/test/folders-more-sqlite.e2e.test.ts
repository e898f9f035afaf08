import { foldersMoreScenario } from './folders-more-scenario.js';

foldersMoreScenario('sqlite');
