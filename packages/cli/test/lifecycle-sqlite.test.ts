import { lifecycleScenario } from './lifecycle-scenario.js';

lifecycleScenario('sqlite');
