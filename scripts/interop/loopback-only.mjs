// Preloaded (`node --import`) into a third-party gateway the interop scripts start, so it stays on loopback:
// - a server that listens without a host (Portkey's start-server.js calls @hono/node-server's `serve({port})`,
//   which binds every interface) is bound to 127.0.0.1 instead;
// - an outbound connection to anything but loopback is refused, so nothing can phone home and no run
//   depends on the network. A refused attempt is printed, so a baseline change caused by it is visible.
import net from "node:net";

const HOST = "127.0.0.1";

function isLoopback(host) {
  const h = String(host)
    .replace(/^\[|\]$/g, "")
    .toLowerCase();
  return h === "localhost" || h === "::1" || /^(::ffff:)?127\./.test(h);
}

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (typeof first === "object" && first !== null && first.path === undefined && first.fd === undefined) {
    if (first.host === undefined || !isLoopback(first.host)) args[0] = { ...first, host: HOST };
  } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    if (args[1] === undefined || typeof args[1] === "string") {
      if (args[1] === undefined || !isLoopback(args[1])) args[1] = HOST;
    } else args.splice(1, 0, HOST);
  }
  return listen.apply(this, args);
};

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  // net.connect() passes its normalized arguments as one array: [options, callback].
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  let host;
  if (typeof first === "object" && first !== null)
    host = first.path === undefined ? (first.host ?? "localhost") : undefined;
  else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first)))
    host = typeof args[1] === "string" ? args[1] : "localhost";
  if (host !== undefined && !isLoopback(host)) {
    const err = Object.assign(
      new Error(`faultline interop: blocked a connection to ${host} (loopback only)`),
      {
        code: "EFAULTLINE_LOOPBACK_ONLY",
      },
    );
    process.stderr.write(`${err.message}\n`);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return connect.apply(this, args);
};

// Started by the interop scripts (FAULTLINE_EXIT_WITH_PARENT=1), the gateway must not outlive the process
// that started it (a test runner killed on timeout runs no cleanup): once the parent is gone — re-parented,
// or signal 0 refused — it exits. Unref'd, so it never keeps the gateway alive by itself. A gateway started
// by hand with `&` (docs/gateways/portkey.md) outlives its shell, as a user expects.
const parent = process.ppid;
if (process.env.FAULTLINE_EXIT_WITH_PARENT === "1")
  setInterval(() => {
    let alive = process.ppid === parent;
    if (alive) {
      try {
        process.kill(parent, 0);
      } catch {
        alive = false;
      }
    }
    if (!alive) process.exit(0);
  }, 500).unref();
