// git_http_server.js ROOT USER PASSWORD: a real git smart-HTTP server for the
// tests (git's own http-backend, run as CGI) that demands HTTP Basic
// authentication as USER:PASSWORD. Listens on 127.0.0.1, on a free port it
// prints on its first line of output; serves the bare repositories under ROOT.
'use strict';
const http = require('http');
const { spawn } = require('child_process');

const [root, user, pass] = process.argv.slice(2);
const want = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');

function cgi(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const env = Object.assign({}, process.env, {
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    REQUEST_METHOD: req.method,
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: req.headers['content-type'] || '',
    REMOTE_USER: user, // enables receive-pack (pushes)
    REMOTE_ADDR: '127.0.0.1',
  });
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  if (req.headers['git-protocol']) env.GIT_PROTOCOL = req.headers['git-protocol'];
  const child = spawn('git', ['http-backend'], { env });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {});
  let head = Buffer.alloc(0);
  let started = false;
  child.stdout.on('data', (chunk) => {
    if (started) return res.write(chunk);
    head = Buffer.concat([head, chunk]);
    let end = head.indexOf('\r\n\r\n'), skip = 4;
    if (end < 0) { end = head.indexOf('\n\n'); skip = 2; }
    if (end < 0) return;
    let status = 200;
    const headers = {};
    for (const line of head.slice(0, end).toString().split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const k = line.slice(0, i).trim(), v = line.slice(i + 1).trim();
      if (k.toLowerCase() === 'status') status = parseInt(v, 10);
      else headers[k] = v;
    }
    res.writeHead(status, headers);
    res.write(head.slice(end + skip));
    started = true;
  });
  child.stdout.on('end', () => { if (!started) res.writeHead(500); res.end(); });
}

http.createServer((req, res) => {
  if (req.headers.authorization !== want) {
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="datom test"' });
    return res.end('authentication required\n');
  }
  cgi(req, res);
}).listen(0, '127.0.0.1', function () {
  console.log(this.address().port);
});
