export { freePort, freePorts } from '../../runtime/ports.js';
