import { orderScenario } from './order-scenario.js';

orderScenario('sqlite');
