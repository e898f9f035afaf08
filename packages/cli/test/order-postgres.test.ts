import { orderScenario } from './order-scenario.js';

orderScenario('postgres');
