/** Password-authenticated key exchange for device approval (docs/PROTOCOL.md §1.3). */
export { startCpace, finishCpace, lvCat, type CpaceShare, type CpaceKeys } from './cpace.js';
