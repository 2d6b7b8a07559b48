package io.jamesacme.testca;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTPS listener on 127.0.0.1 for {@link AcmeHttpServer}. It can close its socket for a
 * period, so that connections are refused, and then bind the same port again. The JDK
 * {@link HttpsServer} cannot restart after {@code stop}, so each period ends with a new one
 * that shares the handler and the executor.
 */
final class HttpsListener implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpsListener.class);
    private static final int BACKLOG = 50;
    /** Pause between two attempts to bind the port again after a refused period. */
    private static final long REBIND_INTERVAL_MILLIS = 100;
    /** A warning is logged once per this many failed attempts to bind the port again. */
    private static final int REBIND_FAILURE_LOG_INTERVAL = 50;

    private final InetSocketAddress address;
    private final SSLContext tls;
    private final ExecutorService executor;
    private final ScheduledExecutorService scheduler;
    private final Object lock = new Object();
    /** The server, or null while connections are refused. Guarded by {@link #lock}. */
    private HttpsServer server;
    private HttpHandler handler;
    private ScheduledFuture<?> scheduledRebind;
    private int rebindFailures;
    private boolean closed;

    private HttpsListener(HttpsServer server, SSLContext tls, ExecutorService executor) {
        this.server = server;
        this.address = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                server.getAddress().getPort());
        this.tls = tls;
        this.executor = executor;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "acme-listener-" + address.getPort());
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Binds to 127.0.0.1:{@code port}, 0 for an ephemeral port; call {@link #start} next. */
    static HttpsListener bind(int port, SSLContext tls, ExecutorService executor)
            throws IOException {
        return new HttpsListener(newServer(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), port), tls, executor),
                tls, executor);
    }

    private static HttpsServer newServer(InetSocketAddress address, SSLContext tls,
            ExecutorService executor) throws IOException {
        HttpsServer server = HttpsServer.create(address, BACKLOG);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.setExecutor(executor);
        return server;
    }

    /** Returns the bound port, which stays the same across refused periods. */
    int port() {
        return address.getPort();
    }

    void start(HttpHandler requestHandler) {
        synchronized (lock) {
            handler = requestHandler;
            server.createContext("/", handler);
            server.start();
        }
    }

    /**
     * Closes the listening socket and every open connection now, and binds the same port
     * again after {@code period}. A call during a refused period restarts the period.
     *
     * @return true if the listener was accepting connections before the call
     * @throws IllegalStateException after {@link #close()}
     */
    boolean refuseFor(Duration period) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("The listener on " + address + " is closed");
            }
            boolean wasListening = server != null;
            if (wasListening) {
                server.stop(0);
                server = null;
            }
            if (scheduledRebind != null) {
                scheduledRebind.cancel(false);
            }
            scheduledRebind = scheduler.schedule(this::rebind, period.toMillis(),
                    TimeUnit.MILLISECONDS);
            return wasListening;
        }
    }

    /** Ends a refused period now. Does nothing while the listener accepts connections. */
    void listenNow() {
        synchronized (lock) {
            if (scheduledRebind != null) {
                scheduledRebind.cancel(false);
            }
            rebind();
        }
    }

    private void rebind() {
        synchronized (lock) {
            scheduledRebind = null;
            if (closed || server != null) {
                return;
            }
            try {
                HttpsServer reopened = newServer(address, tls, executor);
                reopened.createContext("/", handler);
                reopened.start();
                server = reopened;
                rebindFailures = 0;
                LOG.info("HTTPS listener on {} accepts connections again", address);
            } catch (IOException e) {
                // Another socket may hold the port for a moment, such as a client connection
                // that happened to get it as its ephemeral port.
                if (rebindFailures++ % REBIND_FAILURE_LOG_INTERVAL == 0) {
                    LOG.warn("Binding {} again failed ({} attempts so far); retrying every {} ms",
                            address, rebindFailures, REBIND_INTERVAL_MILLIS, e);
                }
                scheduledRebind = scheduler.schedule(this::rebind, REBIND_INTERVAL_MILLIS,
                        TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Stops the server for good; the executor belongs to the caller. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            if (scheduledRebind != null) {
                scheduledRebind.cancel(false);
            }
            if (server != null) {
                server.stop(0);
                server = null;
            }
        }
        scheduler.shutdownNow();
    }
}
