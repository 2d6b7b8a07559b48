package io.jamesacme.testca;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTPS endpoint on 127.0.0.1 that routes requests to the ACME resources and adds the headers
 * every response carries: a fresh Replay-Nonce and the Link to the directory. It applies the
 * injected faults before routing, logs every request, and can close its listening socket for
 * a while and then listen on the same port again.
 */
final class AcmeHttpServer implements AutoCloseable {

    /** Largest request body accepted; finalize requests with a 4096-bit RSA CSR stay far below. */
    static final int MAX_BODY_BYTES = 64 * 1024;
    static final String JOSE_JSON = "application/jose+json";

    private static final Logger LOG = LoggerFactory.getLogger(AcmeHttpServer.class);

    /** Handler of one POST resource; it receives the absolute request URL and the body. */
    interface PostHandler {
        AcmeResponse handle(String requestUrl, String body) throws AcmeProblem;
    }

    /** Resources that handle POST requests, chosen by {@link AcmeHttpServer} from the path. */
    record Resources(DirectoryResource directory, AccountResource accounts,
            OrderResource orders, AuthorizationResource authorizations) {
    }

    private final HttpsListener listener;
    private final ExecutorService executor;
    private final NonceRegistry nonces;
    private final FaultInjector faults;
    private final RequestLog requestLog;
    private final String baseUrl;
    private final AtomicInteger requestsInProgress = new AtomicInteger();
    private volatile Resources resources;

    private AcmeHttpServer(HttpsListener listener, ExecutorService executor,
            NonceRegistry nonces, FaultInjector faults, RequestLog requestLog) {
        this.listener = listener;
        this.executor = executor;
        this.nonces = nonces;
        this.faults = faults;
        this.requestLog = requestLog;
        this.baseUrl = "https://127.0.0.1:" + listener.port();
    }

    /** Binds to 127.0.0.1:{@code port}, 0 for an ephemeral port; call {@link #start} next. */
    static AcmeHttpServer bind(int port, SSLContext tls, NonceRegistry nonces,
            FaultInjector faults, RequestLog requestLog) throws IOException {
        // A cached pool, because the early challenge timing blocks a thread per first fetch
        // and a slow-response fault blocks one per delayed response.
        ExecutorService executor = Executors.newCachedThreadPool();
        HttpsListener listener = HttpsListener.bind(port, tls, executor);
        return new AcmeHttpServer(listener, executor, nonces, faults, requestLog);
    }

    String baseUrl() {
        return baseUrl;
    }

    void start(Resources routedResources) {
        this.resources = routedResources;
        listener.start(this::handle);
        LOG.info("ACME server listening on {}", baseUrl);
    }

    /**
     * Closes the listening socket and every open connection now, and listens on the same
     * port again after {@code period}. A call during a refused period restarts the period.
     *
     * @return how many requests were in progress when the connections closed
     * @throws IllegalStateException after {@link #close()}
     */
    int refuseConnectionsFor(Duration period) {
        int inProgress = requestsInProgress.get();
        int cutRequests = listener.refuseFor(period) ? inProgress : 0;
        LOG.info("Injected fault: refusing connections on {} for {}; {} requests were in "
                + "progress", baseUrl, period, cutRequests);
        return cutRequests;
    }

    /** Ends a refused period now. Does nothing while the server listens. */
    void listenNow() {
        listener.listenNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        requestsInProgress.incrementAndGet();
        try {
            serve(exchange);
        } finally {
            requestsInProgress.decrementAndGet();
        }
    }

    private void serve(HttpExchange exchange) throws IOException {
        Instant received = Instant.now();
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        AcmeEndpoint endpoint = AcmeEndpoint.fromPath(path);
        Optional<Fault> fault = faults.take(endpoint, method);
        boolean slow = fault.isPresent() && fault.get().kind() == FaultKind.SLOW_RESPONSE;

        AcmeResponse response;
        if (fault.isPresent() && !slow) {
            response = faults.respond(fault.get(), readBodyForFault(exchange));
        } else {
            response = respond(exchange, method, endpoint, path);
        }
        requestLog.add(new RequestLogEntry(received, method, endpoint.id(), path,
                response.status(), fault.map(Fault::kind)));

        if (slow && !sleep(fault.get().delay())) {
            exchange.close();
            return;
        }
        write(exchange, method, response);
    }

    private AcmeResponse respond(HttpExchange exchange, String method, AcmeEndpoint endpoint,
            String path) throws IOException {
        try {
            return route(exchange, method, endpoint, path);
        } catch (AcmeProblem problem) {
            LOG.debug("{} {} rejected: {} {}", method, path, problem.type(), problem.getMessage());
            return AcmeResponse.problem(problem);
        } catch (RuntimeException e) {
            LOG.error("{} {} failed", method, path, e);
            return AcmeResponse.problem(AcmeProblem.of("serverInternal", 500,
                    "Internal error of the test CA: " + e));
        }
    }

    private AcmeResponse route(HttpExchange exchange, String method, AcmeEndpoint endpoint,
            String path) throws AcmeProblem, IOException {
        DirectoryResource directory = resources.directory();
        switch (endpoint) {
            case DIRECTORY:
                requireMethod(method, "GET", "HEAD");
                return directory.directory();
            case NEW_NONCE:
                requireMethod(method, "GET", "HEAD");
                return directory.newNonce(method);
            case TERMS:
                requireMethod(method, "GET", "HEAD");
                return directory.terms();
            case UNKNOWN:
                throw AcmeProblem.notFound("No ACME resource at " + path);
            default:
                break;
        }
        PostHandler handler = postHandler(endpoint);
        requireMethod(method, "POST");
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (contentType == null || !contentType.split(";")[0].trim()
                .equalsIgnoreCase(JOSE_JSON)) {
            throw AcmeProblem.of("malformed", 415, "The Content-Type must be " + JOSE_JSON
                    + ", not " + contentType);
        }
        return handler.handle(baseUrl + path, readBody(exchange));
    }

    private PostHandler postHandler(AcmeEndpoint endpoint) {
        return switch (endpoint) {
            case NEW_ACCOUNT -> resources.accounts()::newAccount;
            case ACCOUNT -> resources.accounts()::account;
            case ORDERS -> resources.accounts()::orders;
            case KEY_CHANGE -> resources.accounts()::keyChange;
            case NEW_ORDER -> resources.orders()::newOrder;
            case ORDER -> resources.orders()::order;
            case FINALIZE -> resources.orders()::finalizeOrder;
            case AUTHORIZATION -> resources.authorizations()::authorization;
            case CHALLENGE -> resources.authorizations()::challenge;
            case CERTIFICATE -> resources.orders()::certificate;
            case DIRECTORY, NEW_NONCE, TERMS, UNKNOWN -> throw new IllegalArgumentException(
                    endpoint + " takes no POST requests");
        };
    }

    private static void requireMethod(String method, String... allowed) throws AcmeProblem {
        if (!List.of(allowed).contains(method)) {
            throw AcmeProblem.of("malformed", 405, "Method " + method + " is not allowed "
                    + "here; use " + String.join(" or ", allowed));
        }
    }

    private static String readBody(HttpExchange exchange) throws IOException, AcmeProblem {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                throw AcmeProblem.malformed("The request body exceeds " + MAX_BODY_BYTES
                        + " bytes");
            }
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Reads at most {@link #MAX_BODY_BYTES} of the body, which a fault response ignores. */
    private static String readBodyForFault(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            return new String(in.readNBytes(MAX_BODY_BYTES), StandardCharsets.UTF_8);
        }
    }

    /** Sleeps for {@code delay} and returns false if the server closed in the meantime. */
    private static boolean sleep(Duration delay) {
        try {
            Thread.sleep(delay.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void write(HttpExchange exchange, String method, AcmeResponse response)
            throws IOException {
        var headers = exchange.getResponseHeaders();
        headers.add("Replay-Nonce", nonces.issue());
        headers.add("Link", "<" + baseUrl + DirectoryResource.DIRECTORY_PATH + ">;rel=\"index\"");
        // No ACME response may be cached; newNonce needs this header by RFC 8555 7.2.
        headers.add("Cache-Control", "no-store");
        for (Map.Entry<String, List<String>> header : response.headers().entrySet()) {
            header.getValue().forEach(value -> headers.add(header.getKey(), value));
        }
        if (response.contentType() != null) {
            headers.set("Content-Type", response.contentType());
        }
        byte[] body = response.body();
        boolean noBody = body.length == 0 || "HEAD".equals(method) || response.status() == 204;
        exchange.sendResponseHeaders(response.status(), noBody ? -1 : body.length);
        if (!noBody) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
        exchange.close();
    }

    @Override
    public void close() {
        listener.close();
        executor.shutdownNow();
    }
}
