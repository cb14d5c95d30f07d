package dev.runmeter.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP forwarder on 127.0.0.1 between the application and its database that a test can cut: refuse every
 * connection (the database is unreachable), or drop the one connection that is about to send a given statement
 * (the database went away in the middle of a request, before that statement reached it).
 */
public final class CuttableProxy implements AutoCloseable {

    private final ServerSocket server;
    private final int targetPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;
    private volatile byte[] tripWire;
    private volatile int trips;

    public CuttableProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        daemon("proxy-accept", this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** From now on the database is unreachable: open connections drop, new ones are closed at once. */
    public void cut() {
        cut = true;
        closeAll();
    }

    public void restore() {
        cut = false;
        tripWire = null;
    }

    /** Drops the connection that sends this text (SQL travels as text in the query protocol), once. */
    public void dropConnectionSending(String text) {
        trips = 0;
        tripWire = text.getBytes(StandardCharsets.UTF_8);
    }

    /** How many connections the trip wire dropped since it was set. */
    public int trips() {
        return trips;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (cut) {
                    client.close();
                    continue;
                }
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                open.add(client);
                open.add(upstream);
                daemon("proxy-up", () -> pump(client, upstream, true));
                daemon("proxy-down", () -> pump(upstream, client, false));
            } catch (IOException e) {
                // closed while accepting, or the database refused: the client sees its connection end
            }
        }
    }

    private void pump(Socket from, Socket to, boolean watch) {
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                byte[] wire = tripWire;
                if (watch && wire != null && contains(buffer, read, wire)) {
                    tripWire = null;
                    trips++;
                    from.close();
                    to.close();
                    return;
                }
                out.write(buffer, 0, read);
                out.flush();
            }
        } catch (IOException e) {
            // one side went away; the other is closed below
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static boolean contains(byte[] buffer, int length, byte[] text) {
        outer:
        for (int i = 0; i + text.length <= length; i++) {
            for (int j = 0; j < text.length; j++) {
                if (buffer[i + j] != text[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private void closeAll() {
        open.forEach(CuttableProxy::closeQuietly);
        open.clear();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already gone
        }
    }

    private static void daemon(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
        closeAll();
    }
}
