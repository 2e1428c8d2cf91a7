// s3proxy.mjs: a fault-injecting HTTP proxy on loopback, between datom and a
// real S3 server (Ceph RGW) in the tests (docs/architecture.md, "S3: faults").
//
//   node s3proxy.mjs UPSTREAM_PORT     prints its own port on stdout, then serves
//
// Requests pass through byte for byte (the Host header too, which SigV4 signs),
// except those a rule picks. Rules are set by the test with
//   POST /__fault  [{"method":"PUT","match":"/refs/","after":0,"times":1,"action":"lost"}, ...]
// and the counts of faults done, and of requests by method, read with
// GET /__fault (both counted from the last POST). A rule picks requests
// whose method is METHOD (any if absent) and whose URL contains MATCH, skips the
// first AFTER of them, and acts on the next TIMES. Actions:
//   reset       close the client's connection before anything reaches the server
//   reset_body  forward; send the answer's status, headers and half its body, then close
//   500, 503    answer 500 InternalError / 503 SlowDown without forwarding
//   stall       forward; hold the answer for MS milliseconds (default 60000), then close
//   lost        forward; let the server apply it, then close without answering
//   fake200     answer 200 without forwarding (a server that ignores conditions)
// The proxy is bounded: it serves only loopback, and stops by itself after an
// hour if the test that started it did not stop it.
import http from 'node:http';

const upstream = Number(process.argv[2]);
let rules = [];
const done = {};

function pick(req) {
  for (const r of rules) {
    if (r.method && r.method !== req.method) continue;
    if (r.match && !req.url.includes(r.match)) continue;
    r.seen = (r.seen || 0) + 1;
    if (r.seen <= (r.after || 0)) continue;
    if ((r.used || 0) >= (r.times ?? 1)) continue;
    r.used = (r.used || 0) + 1;
    done[r.action] = (done[r.action] || 0) + 1;
    return r;
  }
  return null;
}

function control(req, res) {
  if (req.method === 'GET') {
    res.end(JSON.stringify(done));
    return;
  }
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    rules = JSON.parse(body || '[]');
    for (const k of Object.keys(done)) delete done[k];
    res.end('ok');
  });
}

function errorBody(code) {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected</Message></Error>`;
}

function forward(req, res, rule) {
  const up = http.request({
    host: '127.0.0.1', port: upstream, method: req.method, path: req.url,
    headers: req.headers, setHost: false,
  }, (ur) => {
    const act = rule && rule.action;
    if (act === 'lost') {
      ur.resume();
      ur.on('end', () => req.socket.destroy());
      return;
    }
    if (act === 'stall') {
      ur.resume();
      setTimeout(() => req.socket.destroy(), rule.ms ?? 60000);
      return;
    }
    if (act === 'reset_body') {
      const chunks = [];
      ur.on('data', (c) => chunks.push(c));
      ur.on('end', () => {
        const all = Buffer.concat(chunks);
        res.writeHead(ur.statusCode, ur.headers);
        res.write(all.subarray(0, all.length >> 1));
        setTimeout(() => req.socket.destroy(), 20);
      });
      return;
    }
    res.writeHead(ur.statusCode, ur.headers);
    ur.pipe(res);
  });
  up.on('error', () => req.socket.destroy());
  req.pipe(up);
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/__fault')) return control(req, res);
  done[req.method] = (done[req.method] || 0) + 1;
  const rule = pick(req);
  const act = rule && rule.action;
  if (act === 'reset') {
    req.socket.destroy();
    return;
  }
  if (act === 'fake200') {
    // A server that ignores conditions: says yes without doing anything.
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { etag: '"0123456789abcdef0123456789abcdef"', 'content-length': 0 });
      res.end();
    });
    return;
  }
  if (act === '500' || act === '503') {
    req.resume();
    req.on('end', () => {
      const body = errorBody(act === '503' ? 'SlowDown' : 'InternalError');
      res.writeHead(Number(act), { 'content-type': 'application/xml', 'content-length': body.length });
      res.end(body);
    });
    return;
  }
  forward(req, res, rule);
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
setTimeout(() => process.exit(0), 3600 * 1000).unref();
