// The load child of `scripts/bench/connections.ts`: holds N keep-alive connections to the mock and sends
// an open-loop storm across them. Raw sockets and a minimal response reader, because at 10,000
// connections an HTTP client library would spend more CPU than the server it measures.
import { connect, type Socket } from "node:net";

export interface ConnectionsJob {
  host: string;
  port: number;
  /** The request bytes, sent as they are on every request (keep-alive, content-length body). */
  request: string;
  connections: number;
  /** Requests per second across all connections. */
  ratePerS: number;
  durationMs: number;
  /** Connections opened per 10 ms while ramping up. */
  connectBatch: number;
}

export interface ConnectionsTick {
  type: "tick";
  open: number;
  sent: number;
  answered: number;
  errors: number;
  /** Requests due while every connection was still busy: the server fell behind. */
  skipped: number;
  statuses: Record<string, number>;
}

interface Conn {
  socket: Socket;
  busy: boolean;
  buf: string;
  /** Bytes still to read of the current body, once its headers are in. */
  remaining: number;
}

const send = (m: unknown) => process.send?.(m);

async function run(job: ConnectionsJob): Promise<void> {
  const conns: Conn[] = [];
  const statuses: Record<string, number> = {};
  let sent = 0;
  let answered = 0;
  let errors = 0;
  let skipped = 0;
  let open = 0;

  // One answer at a time per connection; the mock's storm answers carry content-length.
  function onData(c: Conn, chunk: string): void {
    c.buf += chunk;
    while (c.buf.length) {
      if (c.remaining < 0) {
        const end = c.buf.indexOf("\r\n\r\n");
        if (end === -1) return;
        const head = c.buf.slice(0, end);
        const status = head.slice(9, 12);
        statuses[status] = (statuses[status] ?? 0) + 1;
        const m = /\r\ncontent-length: *(\d+)/i.exec(head);
        c.remaining = m ? Number(m[1]) : 0;
        c.buf = c.buf.slice(end + 4);
      }
      // Storm answers are ASCII JSON, so string length equals byte length.
      const take = Math.min(c.remaining, c.buf.length);
      c.buf = c.buf.slice(take);
      c.remaining -= take;
      if (c.remaining > 0) return;
      c.remaining = -1;
      c.busy = false;
      answered++;
    }
  }

  function open1(): void {
    const socket = connect({ host: job.host, port: job.port });
    const c: Conn = { socket, busy: false, buf: "", remaining: -1 };
    socket.setEncoding("latin1");
    socket.setNoDelay(true);
    socket.on("connect", () => {
      open++;
      conns.push(c);
    });
    socket.on("data", (d: string) => onData(c, d));
    socket.on("error", () => {
      errors++;
    });
    socket.on("close", () => {
      const i = conns.indexOf(c);
      if (i !== -1) {
        conns.splice(i, 1);
        open--;
      }
    });
  }

  // Ramp up in batches: a SYN flood beyond the listen backlog would measure the kernel, not the mock.
  for (let made = 0; made < job.connections; made += job.connectBatch) {
    for (let i = made; i < Math.min(job.connections, made + job.connectBatch); i++) open1();
    await new Promise((r) => setTimeout(r, 10));
  }
  const deadline = Date.now() + 10_000;
  while (open < job.connections && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  send({ type: "connected", open, errors });

  // Every 10 ms, the requests due since the last tick go to idle connections, round-robin.
  let next = 0;
  let owed = 0;
  let due = 0;
  const start = Date.now();
  const tick = setInterval(() => {
    // From the clock, not the tick count: intervals run late on a busy machine.
    const nowDue = Math.floor(((Date.now() - start) * job.ratePerS) / 1000);
    owed += nowDue - due;
    due = nowDue;
    let tries = 0;
    while (owed >= 1 && tries < conns.length) {
      const c = conns[next++ % conns.length]!;
      tries++;
      if (c.busy || c.socket.destroyed) continue;
      c.busy = true;
      c.socket.write(job.request);
      sent++;
      owed--;
    }
    if (owed >= 1) {
      skipped += Math.floor(owed);
      owed -= Math.floor(owed);
    }
  }, 10);
  const report = setInterval(
    () => send({ type: "tick", open, sent, answered, errors, skipped, statuses } satisfies ConnectionsTick),
    1_000,
  );
  await new Promise((r) => setTimeout(r, job.durationMs));
  clearInterval(tick);
  // Let answers in flight arrive before the last count, then close every socket.
  await new Promise((r) => setTimeout(r, 1_000));
  clearInterval(report);
  send({ type: "tick", open, sent, answered, errors, skipped, statuses } satisfies ConnectionsTick);
  send({ type: "done", elapsedMs: Date.now() - start });
  for (const c of [...conns]) c.socket.destroy();
}

process.on("message", (job: ConnectionsJob) => {
  run(job).catch((e: Error) => {
    process.stderr.write(`connections load: ${e.stack}\n`);
    process.exit(1);
  });
});
