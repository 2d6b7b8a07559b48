package io.jamesacme.smime.james.webadmin;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import javax.inject.Inject;
import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.Username;
import org.apache.james.user.api.UsersRepository;
import org.apache.james.user.api.UsersRepositoryException;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.ErrorResponder;
import org.apache.james.webadmin.utils.ErrorResponder.ErrorType;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.shredzone.acme4j.exception.AcmeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.acme.CertificateOrderService;
import io.jamesacme.smime.james.AutomaticProvisioning;
import io.jamesacme.smime.james.ChallengeMetrics;
import io.jamesacme.smime.store.CertificateStatus;
import spark.Request;
import spark.Response;
import spark.Service;

/**
 * WebAdmin routes for the certificates of hosted users. Register with
 * {@code extensions.routes=io.jamesacme.smime.james.webadmin.AcmeSmimeRoutes} in
 * {@code webadmin.properties}.
 *
 * <ul>
 *   <li>{@code GET /acme-smime/certificates/{address}}: the status as JSON.</li>
 *   <li>{@code POST /acme-smime/certificates/{address}}: requests a certificate now and
 *       returns 202 with the status. An order already running is not started twice.</li>
 * </ul>
 * Both return 400 for an invalid address and 404 for an address that is not a hosted user.
 * <ul>
 *   <li>{@code GET /acme-smime/certificates/{address}/orders}: every order of the address,
 *       oldest first, without secrets.</li>
 *   <li>{@code GET /acme-smime/challenges/metrics}: challenge mails answered, parked and
 *       rejected since James started, rejected ones by reason code.</li>
 *   <li>{@code POST /acme-smime/account/key-rollover}: replaces the ACME account key at the CA
 *       and in the state store (RFC 8555 section 7.3.5). Returns 200 with the account URL, or
 *       502 when the CA rejects the change; the stored key is then the one the CA has.</li>
 *   <li>{@code POST /acme-smime/provisioning/scan}: runs a provisioning scan now and returns
 *       the number of orders it requested, or 409 when another node is scanning.</li>
 * </ul>
 */
public class AcmeSmimeRoutes implements Routes {
    public static final String BASE_PATH = "/acme-smime/certificates";
    public static final String METRICS_PATH = "/acme-smime/challenges/metrics";
    public static final String KEY_ROLLOVER_PATH = "/acme-smime/account/key-rollover";
    public static final String SCAN_PATH = "/acme-smime/provisioning/scan";
    private static final Logger LOGGER = LoggerFactory.getLogger(AcmeSmimeRoutes.class);

    private final CertificateOrderService orders;
    private final UsersRepository users;
    private final ChallengeMetrics metrics;
    private final AutomaticProvisioning provisioning;
    private final JsonTransformer json = new JsonTransformer();

    @Inject
    public AcmeSmimeRoutes(CertificateOrderService orders, UsersRepository users,
                           ChallengeMetrics metrics, AutomaticProvisioning provisioning) {
        this.orders = orders;
        this.users = users;
        this.metrics = metrics;
        this.provisioning = provisioning;
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.get(BASE_PATH + "/:address", this::status, json);
        service.post(BASE_PATH + "/:address", this::request, json);
        service.get(BASE_PATH + "/:address/orders", this::orders, json);
        service.get(METRICS_PATH, (request, response) -> metrics.snapshot(), json);
        service.post(KEY_ROLLOVER_PATH, this::rolloverKey, json);
        service.post(SCAN_PATH, this::scan, json);
    }

    private List<OrderResponse> orders(Request request, Response response) throws UsersRepositoryException {
        String address = hostedUser(request);
        return orders.orders(address).stream().map(OrderResponse::of).toList();
    }

    private Map<String, String> rolloverKey(Request request, Response response) {
        try {
            return Map.of("accountUrl", orders.rolloverAccountKey());
        } catch (IllegalStateException e) {
            LOGGER.warn("The ACME account key rollover was not started: {}", e.getMessage());
            throw ErrorResponder.builder()
                .statusCode(409)
                .type(ErrorType.WRONG_STATE)
                .message("%s", e.getMessage())
                .haltError();
        } catch (AcmeException | RuntimeException e) {
            LOGGER.error("The ACME account key rollover failed", e);
            throw ErrorResponder.builder()
                .statusCode(502)
                .type(ErrorType.SERVER_ERROR)
                .message("The account key rollover failed or timed out: %s. The old key stays in use"
                    + " until the CA is seen to have the new one; try again later.", e.getMessage())
                .haltError();
        }
    }

    private Map<String, Object> scan(Request request, Response response) throws UsersRepositoryException {
        int requested = provisioning.scan();
        if (requested < 0) {
            throw ErrorResponder.builder()
                .statusCode(409)
                .type(ErrorType.WRONG_STATE)
                .message("Another provisioning scan is running, on this node or another; try again later")
                .haltError();
        }
        return Map.of("requested", requested, "node", orders.nodeId());
    }

    private StatusResponse status(Request request, Response response) throws UsersRepositoryException {
        String address = hostedUser(request);
        return StatusResponse.of(orders.status(address));
    }

    private StatusResponse request(Request request, Response response)
            throws UsersRepositoryException {
        String address = hostedUser(request);
        CertificateStatus status = orders.request(address);
        response.status(202);
        return StatusResponse.of(status);
    }

    private String hostedUser(Request request) throws UsersRepositoryException {
        String address = request.params("address");
        try {
            new MailAddress(address);
        } catch (AddressException e) {
            throw ErrorResponder.builder()
                .statusCode(400)
                .type(ErrorType.INVALID_ARGUMENT)
                .message("Invalid address '%s': %s", address, e.getMessage())
                .haltError();
        }
        // James compares user names without regard to case. Provisioning orders for the
        // lower-case form, so a mixed-case URL must not start an order for a second spelling.
        Username username = Username.of(address.toLowerCase(Locale.ROOT));
        if (!users.contains(username)) {
            throw ErrorResponder.builder()
                .statusCode(404)
                .type(ErrorType.NOT_FOUND)
                .message("'%s' is not a hosted user", address)
                .haltError();
        }
        return username.asString();
    }
}
