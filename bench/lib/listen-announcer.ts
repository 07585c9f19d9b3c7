/**
 * A module for `node --import` that prints one stdout line each time a server in the process starts
 * listening. Some servers (mcp-proxy) print nothing once their port is open, and print the port they
 * were given rather than the one bound; with this a benchmark can pass port 0 and wait for the line
 * instead of probing the port or sleeping. http.Server inherits `listen` from net.Server.
 */
const source = `
import net from 'node:net';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  this.once('listening', () => {
    const address = this.address();
    if (address && typeof address === 'object') process.stdout.write('bench-listening port=' + address.port + '\\n');
  });
  return listen.apply(this, args);
};
`;

export const LISTEN_ANNOUNCER_IMPORT = `data:text/javascript,${encodeURIComponent(source)}`;

/** The line the announcer prints; group 1 is the bound port. */
export const LISTEN_ANNOUNCEMENT = /^bench-listening port=(\d+)$/;
