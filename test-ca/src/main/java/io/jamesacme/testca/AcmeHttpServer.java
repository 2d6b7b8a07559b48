package io.jamesacme.testca;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTPS endpoint on 127.0.0.1 that routes requests to the ACME resources and adds the headers
 * every response carries: a fresh Replay-Nonce and the Link to the directory.
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

    private final HttpsServer server;
    private final ExecutorService executor;
    private final NonceRegistry nonces;
    private final String baseUrl;
    private Resources resources;

    private AcmeHttpServer(HttpsServer server, ExecutorService executor, NonceRegistry nonces) {
        this.server = server;
        this.executor = executor;
        this.nonces = nonces;
        this.baseUrl = "https://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Binds to 127.0.0.1:{@code port}, 0 for an ephemeral port; call {@link #start} next. */
    static AcmeHttpServer bind(int port, SSLContext tls, NonceRegistry nonces)
            throws IOException {
        HttpsServer server = HttpsServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        // A cached pool, because the early challenge timing blocks a thread per first fetch.
        ExecutorService executor = Executors.newCachedThreadPool();
        server.setExecutor(executor);
        return new AcmeHttpServer(server, executor, nonces);
    }

    String baseUrl() {
        return baseUrl;
    }

    void start(Resources routedResources) {
        this.resources = routedResources;
        server.createContext("/", this::handle);
        server.start();
        LOG.info("ACME server listening on {}", baseUrl);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        AcmeResponse response;
        try {
            response = route(exchange, method, path);
        } catch (AcmeProblem problem) {
            LOG.debug("{} {} rejected: {} {}", method, path, problem.type(), problem.getMessage());
            response = AcmeResponse.problem(problem);
        } catch (RuntimeException e) {
            LOG.error("{} {} failed", method, path, e);
            response = AcmeResponse.problem(AcmeProblem.of("serverInternal", 500,
                    "Internal error of the test CA: " + e));
        }
        write(exchange, method, response);
    }

    private AcmeResponse route(HttpExchange exchange, String method, String path)
            throws AcmeProblem, IOException {
        DirectoryResource directory = resources.directory();
        switch (path) {
            case DirectoryResource.DIRECTORY_PATH:
                requireMethod(method, "GET", "HEAD");
                return directory.directory();
            case DirectoryResource.NEW_NONCE_PATH:
                requireMethod(method, "GET", "HEAD");
                return directory.newNonce(method);
            case DirectoryResource.TERMS_PATH:
                requireMethod(method, "GET", "HEAD");
                return directory.terms();
            default:
                break;
        }
        PostHandler handler = postHandler(path);
        if (handler == null) {
            throw AcmeProblem.notFound("No ACME resource at " + path);
        }
        requireMethod(method, "POST");
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (contentType == null || !contentType.split(";")[0].trim()
                .equalsIgnoreCase(JOSE_JSON)) {
            throw AcmeProblem.of("malformed", 415, "The Content-Type must be " + JOSE_JSON
                    + ", not " + contentType);
        }
        return handler.handle(baseUrl + path, readBody(exchange));
    }

    private PostHandler postHandler(String path) {
        if (path.equals(DirectoryResource.NEW_ACCOUNT_PATH)) {
            return resources.accounts()::newAccount;
        }
        if (path.equals(DirectoryResource.NEW_ORDER_PATH)) {
            return resources.orders()::newOrder;
        }
        if (path.startsWith("/acct/")) {
            return path.endsWith("/orders") ? resources.accounts()::orders
                    : resources.accounts()::account;
        }
        if (path.startsWith("/order/")) {
            return path.endsWith("/finalize") ? resources.orders()::finalizeOrder
                    : resources.orders()::order;
        }
        if (path.startsWith("/authz/")) {
            return resources.authorizations()::authorization;
        }
        if (path.startsWith("/chall/")) {
            return resources.authorizations()::challenge;
        }
        if (path.startsWith("/cert/")) {
            return resources.orders()::certificate;
        }
        return null;
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
        server.stop(0);
        executor.shutdownNow();
    }
}
