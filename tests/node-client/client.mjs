// A mini program process in JavaScript, written from docs/protocol.md alone. It reads the launch line on stdin,
// takes its connection to the host (inherited, or made) and proves its secret, then speaks JSON-RPC (MessagePack, length-prefixed) on channel 0 of a
// MultiplexingStream (protocol 3). It calls OPEN_DATA_IPC_EVENT_GET_USER_ID on the main process at launch, and answers
// node.echo (the request bundle, as received; above 64 KiB on a channel of its own both ways), node.add (a + b as
// an int, with the launch call's outcome) and node.callHost (makes `count` calls to `event` on the main process, each
// with a `pad` string of `padBytes`, at most 32 at once, and answers how many succeeded).
import net from 'node:net';
import readline from 'node:readline';
import { encode, decode } from '@msgpack/msgpack';
import { MultiplexingStream } from 'nerdbank-streams';

const Kind = { Null: 0, String: 1, Boolean: 2, Int: 3, Long: 4, Double: 5, ByteArray: 6, StringArray: 7, IntArray: 8, LongArray: 9, DoubleArray: 10, Bundle: 11, BundleList: 12 };
const msgpack = { useBigInt64: true };
const ProtocolVersion = 3; // docs/protocol.md, the version this client speaks
const ChannelZeroReceiveWindow = 1024000; // docs/protocol.md section 3: both sides assume it for the seeded channel 0
const log = (...args) => console.error('[node-mini]', ...args);

// 1. The launch line: the first line on stdin. Standard input stays open; its end means the host stopped us or died.
// A process serves one mini program for its life: the host never sends a second line, and one that comes is not served.
const lines = readline.createInterface({ input: process.stdin });
const launch = JSON.parse(await new Promise((resolve) => lines.once('line', resolve)));
lines.on('line', () => { log('ignored a second launch line: a mini process serves one mini program for its life; exiting'); process.exit(0); });
lines.on('close', () => { log('stdin closed: exiting'); process.exit(0); });

// A launch line of another protocol version is not acted on (docs/protocol.md section 2, Versions): exit, naming both.
if (launch.protocol !== ProtocolVersion) {
  log(`the host speaks IpcBroker protocol version ${launch.protocol} and the mini process version ${ProtocolVersion}; build both from the same IpcBroker package version`);
  process.exit(3);
}

// 2. The socket to the host: the one the host's launcher connected and left at `socketFd` (a sandboxed process may open
// no socket of its own), else a new connection to `pipe`. Then the hello: "IPCB", version (u16 BE), secret length (u8),
// secret.
let socket;
if (Number.isInteger(launch.socketFd)) {
  socket = new net.Socket({ fd: launch.socketFd, readable: true, writable: true });
} else {
  socket = net.createConnection(launch.pipe);
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
}
socket.pause();
const secret = Buffer.from(launch.secret, 'base64');
const hello = Buffer.alloc(7 + secret.length);
hello.write('IPCB', 0, 'ascii');
hello.writeUInt16BE(ProtocolVersion, 4);
hello.writeUInt8(secret.length, 6);
secret.copy(hello, 7);
socket.write(hello);

// 3. The verdict: status (u8), host version (u16 BE), message length (u16 BE), message.
const readExactly = (n) => new Promise((resolve, reject) => {
  const attempt = () => {
    const chunk = socket.read(n);
    if (chunk !== null) { socket.off('readable', attempt); socket.off('end', ended); resolve(chunk); }
  };
  const ended = () => reject(new Error('the host closed the connection during the handshake'));
  socket.on('readable', attempt);
  socket.once('end', ended);
  attempt();
});
const head = await readExactly(5);
const message = head.readUInt16BE(3) > 0 ? (await readExactly(head.readUInt16BE(3))).toString('utf8') : '';
if (head[0] !== 0) { log(`refused (${head[0]}): ${message}`); process.exit(3); }
log(`accepted by host ${launch.hostPid} as ${launch.appId} (${launch.verType})`);

// 4. The multiplexing stream; channel 0 is seeded on both sides.
// Channel 0's window is not exchanged on the wire: it must be the documented one, or the host's acknowledgements (sent
// every eighth of its window) never come before this side thinks the window is full, and sending stops for good.
const mux = MultiplexingStream.Create(socket, { protocolMajorVersion: 3, seededChannels: [{ channelReceivingWindowSize: ChannelZeroReceiveWindow }] });
const channel = mux.acceptChannel(0);
const rpc = channel.stream;

// 5. JSON-RPC messages: 4-byte big-endian length, then a MessagePack map.
const send = (msg) => { const body = encode(msg, msgpack); const len = Buffer.alloc(4); len.writeUInt32BE(body.length); rpc.write(Buffer.concat([len, Buffer.from(body)])); };
const pending = new Map();
let nextId = 1;
let buffered = Buffer.alloc(0);
rpc.on('data', (chunk) => {
  buffered = Buffer.concat([buffered, chunk]);
  while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
    const length = buffered.readUInt32BE(0);
    const msg = decode(buffered.subarray(4, 4 + length), msgpack);
    buffered = buffered.subarray(4 + length);
    onMessage(msg).catch((e) => log('handler failed', e));
  }
});
rpc.on('end', () => { log('connection closed by the host: the session is over, exiting'); process.exit(0); });

// Bundles: a map of key -> [kind, value]. Only what this client needs is built here; decoding keeps the pairs as they are.
const bundle = (entries) => Object.fromEntries(entries);

// Section 6: an encoded bundle above 64 KiB travels on an anonymous channel of its own, whose id goes in the message.
const InlinePayloadLimit = 64 * 1024;
const MaxPayloadBytes = 16 * 1024 * 1024 + 64 * 1024; // BundleLimits.MaxBytes: 16 MiB of data plus room for its encoding
const outgoing = (bundleValue) => {
  if (bundleValue === null) return [null, 0];
  const bytes = encode(bundleValue, msgpack);
  if (bytes.length <= InlinePayloadLimit) return [bytes, 0];
  const payloadChannel = mux.createChannel();
  // Observed here so that a channel the host ends early is a log line, not an unhandled rejection that kills us.
  payloadChannel.completion.catch((e) => log('payload channel', e));
  payloadChannel.stream.on('error', (e) => log('payload channel', e));
  payloadChannel.stream.on('end', () => payloadChannel.dispose()); // the receiver completed its writing: done
  payloadChannel.stream.resume();
  payloadChannel.stream.end(Buffer.from(bytes));
  return [null, payloadChannel.qualifiedId.id];
};
const incoming = (payload, payloadChannelId) => {
  if (!payloadChannelId) return Promise.resolve(payload ? decode(payload, msgpack) : {});
  const payloadChannel = mux.acceptChannel(payloadChannelId);
  payloadChannel.completion.catch((e) => log('payload channel', e));
  return new Promise((resolve, reject) => {
    const chunks = [];
    let total = 0;
    payloadChannel.stream.on('error', reject);
    payloadChannel.stream.on('data', (chunk) => {
      total += chunk.length;
      if (total > MaxPayloadBytes) { payloadChannel.dispose(); reject(new Error('a payload above 16 MiB')); return; }
      chunks.push(chunk);
    });
    payloadChannel.stream.on('end', () => {
      payloadChannel.stream.end(); // completes our writing: both ends of the channel are done
      payloadChannel.dispose();
      try { resolve(decode(Buffer.concat(chunks), msgpack)); } catch (e) { reject(e); }
    });
  });
};
const call = (eventId, request, timeoutMs = 5000) => new Promise((resolve) => {
  const id = nextId++;
  pending.set(id, resolve);
  send({ jsonrpc: '2.0', id, method: 'ipc.call', params: [eventId, timeoutMs, ...outgoing(request)] });
});
const reply = (id, status, messageText, payload) =>
  send({ jsonrpc: '2.0', id, result: [status, messageText, ...outgoing(payload)] });

const handlers = {
  'node.echo': async (request) => [0, null, request],
  'node.add': async (request) => [0, null, bundle([
    ['sum', [Kind.Int, Number(request.a[1]) + Number(request.b[1])]],
    ['runtime', [Kind.String, `node ${process.version}`]],
    // A missing value is the Null kind: a String kind must hold a string (section 5).
    (await launched)?.userId?.[1] == null ? ['launchUserId', [Kind.Null, null]] : ['launchUserId', [Kind.String, launchUser.userId[1]]],
  ])],
  'node.callHost': async (request) => {
    const count = Number(request.count[1]);
    const pad = 'x'.repeat(Number(request.padBytes[1]));
    let succeeded = 0;
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const answer = await call(request.event[1], bundle([['i', [Kind.Int, i]], ['pad', [Kind.String, pad]]]), 20000);
        if (answer.status === 0 && Number(answer.data.i[1]) === i) succeeded++;
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    return [0, null, bundle([['succeeded', [Kind.Int, succeeded]]])];
  },
};

async function onMessage(msg) {
  if (msg.method === 'ipc.call') {
    const [eventId, , payload, payloadChannel] = msg.params;
    const handler = handlers[eventId];
    if (!handler) {
      if (payloadChannel) mux.acceptChannel(payloadChannel).dispose(); // refused before the payload is needed
      reply(msg.id, 1, `No handler is registered for '${eventId}' in the node mini process.`, null);
      return;
    }
    let request;
    try { request = await incoming(payload, payloadChannel); } catch (e) { reply(msg.id, 8, String(e.message), null); return; }
    const [status, text, response] = await handler(request);
    reply(msg.id, status, text, response);
  } else if (msg.method) {
    // Notifications such as $/cancelRequest need no answer here.
  } else if (pending.has(msg.id)) {
    const resolve = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) { resolve({ status: -1, message: msg.error.message, data: null }); return; }
    const [status, text, payload, payloadChannel] = msg.result;
    resolve({ status, message: text, data: await incoming(payload, payloadChannel) });
  }
}

// 6. Launch work: ask the main process who is signed in.
let launchUser = null;
let markLaunched;
const launched = new Promise((resolve) => { markLaunched = resolve; }); // node.add answers once the launch call has
const user = await call('OPEN_DATA_IPC_EVENT_GET_USER_ID', bundle([['appId', [Kind.String, launch.appId]], ['client', [Kind.String, 'node']]]));
launchUser = user.status === 0 ? user.data : null;
markLaunched(launchUser);
log(`launch call: status ${user.status}, userId ${launchUser?.userId?.[1]}`);
