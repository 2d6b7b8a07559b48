package io.jamesacme.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Picks TCP ports that are free on 127.0.0.1. Working directories that must not collide, such
 * as the nodes of an {@link AcmeCluster}, share one instance.
 */
final class FreePorts {

    private final Set<Integer> handedOut = new HashSet<>();

    /**
     * Returns a port that was free when checked and that this instance has not returned before.
     * NOTE: another process can still take the port before the server binds it.
     */
    int next() {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port = probe();
            if (handedOut.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("No free loopback port found after 50 attempts");
    }

    private static int probe() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to open a socket on 127.0.0.1", e);
        }
    }
}
