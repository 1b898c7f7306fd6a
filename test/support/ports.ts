export { freePort } from '../../runtime/ports.js';
