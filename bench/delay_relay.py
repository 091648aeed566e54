#!/usr/bin/python3
"""delay_relay.py DELAY_MS HOST PORT PORT_FILE STATS_FILE

A TCP relay on 127.0.0.1 (a free port, written to PORT_FILE) to HOST:PORT
that holds every chunk DELAY_MS before passing it on, in each direction:
a link with that one-way delay, made in user space because this kernel
has no netem (bench/run part 9).  Order is kept: per direction one queue,
each chunk stamped with the time it may leave.

The client's connect() to 127.0.0.1 completes at once, where over a real
link TCP's own handshake costs a round trip; the relay charges it by
waiting one round trip before it connects upstream (the client's first
bytes wait meanwhile), so a connection costs the round trips it would.

STATS_FILE gets "CONNECTIONS HELLO_RETRY_REQUESTS" after each connection:
how many connections the server answered with a TLS 1.3
HelloRetryRequest (its ServerHello carries a fixed random, RFC 8446 4.1.3),
the round trip a key share the server does not take costs.
"""
import asyncio
import sys

HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
# The ServerHello comes first (after the 'S' of the classic negotiation).
HEAD = 4096


def main():
    delay = float(sys.argv[1]) / 1000
    host, port, port_file, stats_file = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    stats = {"connections": 0, "hrr": 0}

    async def pump(reader, writer, head=None):
        loop = asyncio.get_running_loop()
        queue = asyncio.Queue()

        async def send():
            while True:
                due, data = await queue.get()
                pause = due - loop.time()
                if pause > 0:
                    await asyncio.sleep(pause)
                if not data:
                    writer.close()
                    return
                writer.write(data)
                await writer.drain()

        sender = asyncio.create_task(send())
        while True:
            try:
                data = await reader.read(65536)
            except ConnectionError:
                data = b""
            if head is not None and len(head) < HEAD:
                head += data
            queue.put_nowait((loop.time() + delay, data))
            if not data:
                break
        try:
            await sender
        except ConnectionError:
            pass
        return head

    async def relay(creader, cwriter):
        await asyncio.sleep(2 * delay)
        try:
            sreader, swriter = await asyncio.open_connection(host, port)
        except OSError:
            cwriter.close()
            return
        _, head = await asyncio.gather(pump(creader, swriter), pump(sreader, cwriter, b""))
        stats["connections"] += 1
        stats["hrr"] += HRR_RANDOM in head
        with open(stats_file, "w") as f:
            f.write(f"{stats['connections']} {stats['hrr']}\n")

    async def serve():
        server = await asyncio.start_server(relay, "127.0.0.1", 0)
        with open(port_file, "w") as f:
            f.write(f"{server.sockets[0].getsockname()[1]}\n")
        await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
