// The fan-out floor for bench/edge-ws.bench.ts: once a second, the same payload JSON.stringify'd once and written
// as one WebSocket text frame to every connected raw socket. Arguments: payload file, port.
const { readFileSync } = require('node:fs');
const net = require('node:net');
const payload = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const sockets = new Set();
net
  .createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
  })
  .listen(Number(process.argv[3]), '127.0.0.1', () => console.log('listening'));
function frame(text) {
  const body = Buffer.from(text);
  const head = body.length < 126 ? Buffer.from([0x81, body.length]) : body.length < 65536 ? Buffer.from([0x81, 126, body.length >> 8, body.length & 255]) : Buffer.concat([Buffer.from([0x81, 127, 0, 0, 0, 0]), Buffer.from([(body.length >>> 24) & 255, (body.length >>> 16) & 255, (body.length >>> 8) & 255, body.length & 255])]);
  return Buffer.concat([head, body]);
}
setInterval(() => {
  payload.system.uptime_secs += 1; // a fresh update each tick, as the producer makes
  const bytes = frame(JSON.stringify(payload));
  for (const socket of sockets) socket.write(bytes);
}, 1000);
